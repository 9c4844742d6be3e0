//! Writing a file so that a kill at any moment leaves either the old file or the new one, never
//! a mix: the bytes go to a temporary file beside the target, are flushed to disk, and the
//! temporary file is renamed over the target (a rename within one folder is atomic on POSIX).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically: temporary file in the same folder, `fsync`, rename over
/// `path`, `fsync` of the folder. Creates the folder when missing. On failure the temporary
/// file is removed and `path` is untouched.
///
/// # Errors
/// What the operating system said, with the path it was about.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&folder).map_err(|error| named(error, &folder))?;
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))
        .map_err(|error| named(error, path))?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(file_name);
    temporary_name.push(format!(".tmp-{}", std::process::id()));
    let temporary = folder.join(temporary_name);
    let result = write_then_rename(&temporary, path, bytes);
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result?;
    // The rename is durable once the folder's entry is on disk; not every file system lets a
    // folder be opened for that, so a failure here is not an error.
    if let Ok(folder) = File::open(&folder) {
        let _ = folder.sync_all();
    }
    Ok(())
}

fn write_then_rename(temporary: &Path, target: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(temporary)
        .map_err(|error| named(error, temporary))?;
    file.write_all(bytes)
        .map_err(|error| named(error, temporary))?;
    file.sync_all().map_err(|error| named(error, temporary))?;
    drop(file);
    fs::rename(temporary, target).map_err(|error| named(error, target))
}

fn named(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let folder =
            std::env::temp_dir().join(format!("plugd-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&folder);
        folder
    }

    #[test]
    fn a_new_file_is_written_with_its_folder_and_no_temporary_file_is_left() {
        let folder = scratch("new");
        let path = folder.join("deeper/device-config.json");
        write_atomic(&path, b"{}").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{}");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        let _ = fs::remove_dir_all(&folder);
    }

    #[test]
    fn an_existing_file_is_replaced_whole() {
        let folder = scratch("replace");
        let path = folder.join("user.json");
        write_atomic(&path, b"old contents that are longer").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        let _ = fs::remove_dir_all(&folder);
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_says_which_path() {
        let folder = scratch("fail");
        let path = folder.join("target");
        write_atomic(&path, b"old").unwrap();
        // A folder where the file should go: the rename fails, the old content stays.
        let blocked = folder.join("blocked");
        fs::create_dir_all(blocked.join("inside")).unwrap();
        let error = write_atomic(&blocked, b"new").unwrap_err();
        assert!(error.to_string().contains("blocked"), "{error}");
        assert_eq!(fs::read(&path).unwrap(), b"old");
        let leftovers = fs::read_dir(&folder)
            .unwrap()
            .filter(|entry| {
                entry
                    .as_ref()
                    .map(|entry| entry.file_name().to_string_lossy().contains(".tmp-"))
                    .unwrap_or(false)
            })
            .count();
        assert_eq!(leftovers, 0);
        let _ = fs::remove_dir_all(&folder);
    }
}
