"""Drives plugd with the official Buttplug Python client (PyPI `buttplug`).

Connects, scans, waits for a device with a vibrator, vibrates it at 50 %, stops it and
disconnects. Prints one line per step so the calling Rust test can follow along; exits non-zero
on any failure.
"""

import asyncio
import sys

from buttplug import ButtplugClient, DeviceOutputCommand, OutputType


async def main(url: str) -> None:
    client = ButtplugClient("plugd python test")
    await client.connect(url)
    print(f"connected to {client.server_name}", flush=True)
    await client.start_scanning()

    device = None
    for _ in range(200):
        device = next(
            (d for d in client.devices.values() if d.has_output(OutputType.VIBRATE)), None
        )
        if device is not None:
            break
        await asyncio.sleep(0.05)
    if device is None:
        raise SystemExit("no vibrating device appeared")
    print(f"device {device.index} {device.name}", flush=True)

    await device.run_output(DeviceOutputCommand(OutputType.VIBRATE, 0.5))
    print("vibrate sent", flush=True)
    await device.stop()
    print("stop sent", flush=True)
    await client.disconnect()
    print("disconnected", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
