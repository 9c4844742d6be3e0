// plugd dashboard: one page, live from the server-sent events of /api/v1/events. Every action
// goes through the REST API (/api/v1), the same requests any client sends.
"use strict";

const api = "/api/v1";
// With --auth-token the page is opened as /?token=...; every request carries it on.
const token = new URLSearchParams(location.search).get("token");

function apiUrl(path) {
  if (!token) return api + path;
  return api + path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token);
}
let previousTotal = null;
let previousAt = null;
// While a slider is being dragged, its own value wins over the live level.
const dragging = new Set();
const batteries = new Map();

function text(tag, content, className) {
  const node = document.createElement(tag);
  if (content !== undefined) node.textContent = content;
  if (className) node.className = className;
  return node;
}

async function put(path, body) {
  const init = { method: "PUT" };
  if (body !== undefined) {
    init.headers = { "Content-Type": "application/json" };
    init.body = JSON.stringify(body);
  }
  const response = await fetch(apiUrl(path), init);
  if (!response.ok) {
    console.warn(path, response.status, await response.text());
  }
  return response;
}

function formatSeconds(seconds) {
  if (seconds === null || !isFinite(seconds)) return "–";
  if (seconds < 0.001) return (seconds * 1e6).toFixed(0) + " µs";
  if (seconds < 1) return (seconds * 1e3).toFixed(2) + " ms";
  return seconds.toFixed(2) + " s";
}

function renderStats(metrics) {
  const now = performance.now();
  const total = metrics.requests_total;
  if (previousTotal !== null && now > previousAt) {
    const rate = ((total - previousTotal) * 1000) / (now - previousAt);
    document.getElementById("rate").textContent = rate.toFixed(1);
  }
  previousTotal = total;
  previousAt = now;
  document.getElementById("total").textContent = total;
  const mean = metrics.latency_count > 0 ? metrics.latency_sum_seconds / metrics.latency_count : null;
  document.getElementById("latency").textContent = formatSeconds(mean);
  let p99 = null;
  const wanted = metrics.latency_count * 0.99;
  for (const [bound, count] of metrics.latency_buckets) {
    if (metrics.latency_count > 0 && count >= wanted) { p99 = bound; break; }
  }
  document.getElementById("p99").textContent = metrics.latency_count > 0 ? (p99 === null ? "> 1 s" : formatSeconds(p99)) : "–";
  const errors = Object.values(metrics.errors).reduce((sum, count) => sum + count, 0);
  document.getElementById("errors").textContent = errors;
  const list = document.getElementById("recent-errors");
  list.replaceChildren();
  if (metrics.recent_errors.length === 0) list.append(text("li", "None.", "empty"));
  for (const error of metrics.recent_errors.slice().reverse()) {
    const when = new Date(error.at_ms).toLocaleTimeString();
    list.append(text("li", `${when} · client ${error.session} · ${error.request} · code ${error.code}: ${error.message}`));
  }
}

function renderClients(clients) {
  const body = document.getElementById("clients");
  body.replaceChildren();
  for (const client of clients) {
    const row = document.createElement("tr");
    row.append(text("td", client.session));
    row.append(text("td", (client.name ?? "(no handshake yet)") + (client.observer ? " (this page)" : "")));
    row.append(text("td", client.spec_version === null ? "–" : "v" + client.spec_version));
    row.append(text("td", client.address ?? "–"));
    body.append(row);
  }
}

function outputId(device, feature, output) {
  return `out-${device.index}-${feature.index}-${output.type}`;
}

function buildDevice(device) {
  const card = text("div", undefined, "device");
  card.id = "device-" + device.index;
  card.dataset.name = device.name;
  const title = text("h3");
  title.append(text("span", `${device.index}: ${device.display_name ?? device.name}`, "device-name"));
  const stop = text("button", "Stop", "stop");
  stop.type = "button";
  stop.dataset.device = device.index;
  stop.addEventListener("click", () => put(`/devices/${device.index}/stop`));
  title.append(stop);
  const deny = text("button", "Deny", "deny");
  deny.type = "button";
  deny.title = "Stop it, disconnect it and refuse it from now on (written to the user device config)";
  deny.addEventListener("click", () => {
    if (confirm(`Deny ${device.display_name ?? device.name}? It is disconnected and refused from now on.`)) {
      put(`/devices/${device.index}/deny`);
    }
  });
  title.append(deny);
  const rename = text("button", "Rename", "rename");
  rename.type = "button";
  rename.title = "Give it your own name (written to the user device config; empty: its product name)";
  rename.addEventListener("click", async () => {
    const name = prompt(`New name for ${device.display_name ?? device.name} (empty: ${device.name})`, device.display_name ?? "");
    if (name === null) return;
    const response = await put(`/devices/${device.index}/display-name`, { display_name: name });
    if (!response.ok) alert(`Not renamed: ${(await response.json().catch(() => ({}))).ErrorMessage ?? response.status}`);
  });
  title.append(rename);
  card.append(title);
  card.append(text("div", "", "meta"));
  for (const feature of device.features) {
    for (const output of feature.outputs) {
      const row = text("div", undefined, "output");
      row.append(text("label", `#${feature.index} ${output.type}${feature.description ? " · " + feature.description : ""}`));
      const slider = document.createElement("input");
      slider.type = "range";
      slider.min = output.range[0];
      slider.max = output.range[1];
      slider.step = 1;
      slider.value = output.level;
      slider.id = outputId(device, feature, output);
      slider.dataset.device = device.index;
      slider.dataset.feature = feature.index;
      slider.dataset.output = output.type;
      const steps = Math.max(Math.abs(output.range[0]), Math.abs(output.range[1])) || 1;
      const send = () => {
        const level = Number(slider.value) / steps;
        const duration = output.type === "HwPositionWithDuration" ? "?duration=500" : "";
        put(`/devices/${device.index}/features/${feature.index}/outputs/${output.type}/${level}${duration}`);
      };
      slider.addEventListener("pointerdown", () => dragging.add(slider.id));
      slider.addEventListener("pointerup", () => dragging.delete(slider.id));
      slider.addEventListener("input", send);
      slider.addEventListener("change", () => { dragging.delete(slider.id); send(); });
      row.append(slider);
      row.append(text("span", String(output.level), "level"));
      const bar = text("div", undefined, "bar");
      bar.append(document.createElement("div"));
      row.append(text("span"));
      row.append(bar);
      card.append(row);
    }
    for (const input of feature.inputs) {
      if (input.type === "Battery" && input.commands.includes("Read") && !batteries.has(device.index)) {
        batteries.set(device.index, "…");
        fetch(apiUrl(`/devices/${device.index}/features/${feature.index}/inputs/Battery/read`), { method: "PUT" })
          .then((response) => response.ok ? response.json() : null)
          .then((reading) => { batteries.set(device.index, reading ? reading.value + "%" : "?"); })
          .catch(() => batteries.set(device.index, "?"));
      }
    }
  }
  return card;
}

function renderDevices(devices) {
  const container = document.getElementById("devices");
  const wanted = new Set(devices.map((device) => "device-" + device.index));
  for (const card of Array.from(container.children)) {
    if (!wanted.has(card.id)) card.remove();
  }
  if (devices.length === 0) {
    container.replaceChildren(text("p", "No devices.", "empty"));
    return;
  }
  for (const device of devices) {
    const signature = JSON.stringify(device.features.map((feature) => [feature.index, feature.outputs.map((output) => [output.type, output.range])])) + (device.display_name ?? device.name);
    let card = document.getElementById("device-" + device.index);
    if (card && card.dataset.signature !== signature) { card.remove(); card = null; }
    if (!card) {
      card = buildDevice(device);
      card.dataset.signature = signature;
      container.append(card);
    }
    const battery = batteries.get(device.index);
    card.querySelector(".meta").textContent =
      `${device.protocol} · ${device.transport} · ${device.address}` + (battery ? ` · battery ${battery}` : "") + ` · ${device.bytes_written} bytes sent`;
    for (const feature of device.features) {
      for (const output of feature.outputs) {
        const slider = document.getElementById(outputId(device, feature, output));
        if (!slider) continue;
        const row = slider.parentElement;
        row.querySelector(".level").textContent = output.level;
        const steps = Math.max(Math.abs(output.range[0]), Math.abs(output.range[1])) || 1;
        row.querySelector(".bar > div").style.width = (Math.abs(output.level) * 100 / steps) + "%";
        row.dataset.level = output.level;
        if (!dragging.has(slider.id) && document.activeElement !== slider) slider.value = output.level;
      }
    }
  }
}

function connect() {
  const badge = document.getElementById("connection");
  const events = new EventSource(apiUrl("/events"));
  events.addEventListener("open", () => { badge.textContent = "live"; badge.className = "badge live"; });
  events.addEventListener("error", () => { badge.textContent = "reconnecting…"; badge.className = "badge"; });
  events.addEventListener("status", (event) => {
    const status = JSON.parse(event.data);
    renderClients(status.clients);
    renderDevices(status.devices);
    renderStats(status.metrics);
    document.body.dataset.devices = status.devices.length;
  });
}

document.getElementById("stop-all").addEventListener("click", () => {
  for (const slider of document.querySelectorAll("input[type=range]")) dragging.delete(slider.id);
  document.activeElement && document.activeElement.blur && document.activeElement.blur();
  put("/devices/stop");
});
connect();
