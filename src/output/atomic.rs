//! Atomic output: write to a temporary file in the same directory, then rename, so a
//! crash or a kill never leaves a half-written result behind.
//!
//! Only regular files are replaced that way. A device, pipe or socket (`/dev/null`,
//! `/dev/stdout`, a FIFO) is written in place: renaming over it would swap the device
//! node for a plain file, which breaks every other program on the machine that uses it.
//! A symbolic link is followed, so the file it points at is replaced and the link stays.

//!
//! Every temporary file in flight is registered, so that a signal's exit path removes
//! them all ([`remove_live_temporaries`]); temporaries of our exact naming
//! (`.NAME.PID.tmp` beside `NAME`) left by a process that no longer runs (a `kill -9`)
//! are removed when `NAME` is written again.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Temporary files created and not yet renamed or removed.
static LIVE: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// Output directories created and not yet kept, in the order they were created.
static CREATED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn created() -> MutexGuard<'static, Vec<PathBuf>> {
    CREATED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes, innermost first, the directories of `dirs` that are still empty.
fn remove_empty_dirs(dirs: &[PathBuf]) {
    for dir in dirs.iter().rev() {
        let _ = fs::remove_dir(dir);
    }
}

fn live() -> MutexGuard<'static, BTreeSet<PathBuf>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes every temporary file in flight (a signal ends the process, or the command
/// ends on any path); returns how many there were.
pub(crate) fn remove_live_temporaries() -> usize {
    let mut live = live();
    let count = live.len();
    for temporary in std::mem::take(&mut *live) {
        let _ = fs::remove_file(temporary);
    }
    remove_empty_dirs(&std::mem::take(&mut *created()));
    count
}

/// Removes every temporary file in flight and ends the process with `code`, holding the
/// registry's lock so that no new temporary appears in between.
pub(crate) fn exit_removing_temporaries(code: i32) -> ! {
    let mut live = live();
    for temporary in std::mem::take(&mut *live) {
        let _ = fs::remove_file(temporary);
    }
    remove_empty_dirs(&std::mem::take(&mut *created()));
    std::process::exit(code)
}

/// The temporary file beside `target` for process `pid`.
fn temporary_name(name: &str, pid: u32) -> String {
    format!(".{name}.{pid}.tmp")
}

/// Whether process `pid` may still run: only a definite "no such process" says it does not.
#[cfg(unix)]
fn may_be_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    // SAFETY: kill with signal 0 sends nothing; it only checks that the process exists.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn may_be_alive(_pid: u32) -> bool {
    true
}

/// Removes the temporaries `.NAME.PID.tmp` beside `target` (named `name`) whose process
/// `PID` is not ours and no longer runs; any other file is left alone.
fn remove_stale_temporaries(target: &Path, name: &str) {
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let pid = file_name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file
            && pid != std::process::id()
            && file_name == temporary_name(name, pid)
            && !may_be_alive(pid)
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The path at the end of `target`'s chain of symbolic links (`target` itself when it is
/// no link), each relative link read from the directory holding it.
fn end_of_links(target: &Path) -> io::Result<PathBuf> {
    let mut path = target.to_path_buf();
    // As many links as Linux follows (MAXSYMLINKS) before ELOOP.
    for _ in 0..40 {
        match fs::symlink_metadata(&path) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let next = fs::read_link(&path)?;
                path = match path.parent() {
                    Some(parent) => parent.join(next),
                    None => next,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// A file that appears under its name only when [`AtomicFile::commit`] succeeds; `-`
/// names standard output.
pub(crate) struct AtomicFile {
    /// `Some((temporary, target))` while replacing a regular file; `None` when writing a
    /// device, a pipe or standard output in place.
    replacement: Option<(PathBuf, PathBuf)>,
    writer: Option<BufWriter<Sink>>,
}

/// Where the bytes go.
enum Sink {
    File(File),
    Stdout(io::Stdout),
}

/// A reader that went away (`failsim … | head`) is not an error: what it no longer reads
/// is discarded, and the exit code still reports the run and its checks.
fn unless_reader_left<T>(result: io::Result<T>, discarded: T) -> io::Result<T> {
    match result {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(discarded),
        other => other,
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::File(file) => file.write(buf),
            Sink::Stdout(stdout) => unless_reader_left(stdout.write(buf), buf.len()),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::File(file) => file.flush(),
            Sink::Stdout(stdout) => unless_reader_left(stdout.flush(), ()),
        }
    }
}

impl AtomicFile {
    /// Starts writing `target`: through a temporary file beside it when `target` is or will
    /// be a regular file, directly when it is a device or pipe, to standard output when it
    /// is `-`.
    pub(crate) fn create(target: &Path) -> io::Result<Self> {
        let in_place = |sink| AtomicFile {
            replacement: None,
            writer: Some(BufWriter::new(sink)),
        };
        if target == Path::new("-") {
            return Ok(in_place(Sink::Stdout(io::stdout())));
        }
        let metadata = fs::metadata(target);
        let target = match &metadata {
            Ok(existing) if existing.is_dir() => {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "is a directory, not a file",
                ))
            }
            Ok(existing) if !existing.is_file() => {
                let file = OpenOptions::new().write(true).open(target)?;
                return Ok(in_place(Sink::File(file)));
            }
            Ok(_) => fs::canonicalize(target)?,
            // A dangling symbolic link stays a link: the file it names is created.
            Err(_) => end_of_links(target)?,
        };
        let name = target.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "the output path names no file")
        })?;
        let name = name.to_string_lossy();
        remove_stale_temporaries(&target, &name);
        let temporary = target.with_file_name(temporary_name(&name, std::process::id()));
        // Registered under the lock before it exists, so that a signal's exit path, which
        // holds the lock, sees every temporary that can exist.
        let mut registered = live();
        let file = File::create(&temporary)?;
        registered.insert(temporary.clone());
        drop(registered);
        // A replaced file keeps its permissions (a private result stays private).
        if let Ok(existing) = metadata {
            fs::set_permissions(&temporary, existing.permissions())?;
        }
        Ok(AtomicFile {
            replacement: Some((temporary, target)),
            writer: Some(BufWriter::new(Sink::File(file))),
        })
    }

    /// Flushes, syncs and renames onto the target (or only flushes a device, pipe or
    /// standard output).
    pub(crate) fn commit(self) -> io::Result<()> {
        match self.finish()? {
            Some((temporary, target)) => rename_into_place(&temporary, &target),
            None => Ok(()),
        }
    }

    /// Flushes and syncs; returns the temporary and its target, still to be renamed (the
    /// temporary stays registered), or None for a device, pipe or standard output, which
    /// has its bytes by then. On failure the temporary is removed.
    fn finish(mut self) -> io::Result<Option<(PathBuf, PathBuf)>> {
        let writer = self.writer.take().expect("commit once");
        let replacement = self.replacement.take();
        let done = writer
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|mut sink| match (&replacement, &mut sink) {
                (Some(_), Sink::File(file)) => file.sync_all(),
                _ => sink.flush(),
            });
        if let Err(error) = done {
            if let Some((temporary, _)) = &replacement {
                let mut registered = live();
                let _ = fs::remove_file(temporary);
                registered.remove(temporary);
            }
            return Err(error);
        }
        Ok(replacement)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.as_mut().expect("not committed").write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.writer.as_mut().expect("not committed").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            if let Some((temporary, _)) = &self.replacement {
                let mut registered = live();
                let _ = fs::remove_file(temporary);
                registered.remove(temporary);
            }
        }
    }
}

/// Renames a registered temporary onto its target; removes it if that fails.
fn rename_into_place(temporary: &Path, target: &Path) -> io::Result<()> {
    let mut registered = live();
    let renamed = fs::rename(temporary, target);
    if renamed.is_err() {
        let _ = fs::remove_file(temporary);
    }
    registered.remove(temporary);
    renamed
}

/// Output directories this process created: dropped, it removes those still empty
/// (innermost first); [`CreatedDirs::keep`] keeps them. A signal's exit path removes
/// those not yet kept.
#[derive(Debug, Default)]
pub struct CreatedDirs(Vec<PathBuf>);

impl CreatedDirs {
    /// Keeps the directories: the outputs in them are committed.
    pub fn keep(mut self) {
        let dirs = std::mem::take(&mut self.0);
        created().retain(|dir| !dirs.contains(dir));
    }

    /// Takes over the directories of `other`.
    pub fn adopt(&mut self, mut other: CreatedDirs) {
        self.0.append(&mut other.0);
    }
}

impl Drop for CreatedDirs {
    fn drop(&mut self) {
        let mut registered = created();
        remove_empty_dirs(&self.0);
        registered.retain(|dir| !self.0.contains(dir));
    }
}

/// Outputs written in full to temporaries and put in place together by
/// [`Staged::commit`], so that a failure before it leaves every earlier output as it
/// was. Dropped uncommitted, it removes its temporaries and the directories created for
/// them.
#[derive(Default)]
pub struct Staged {
    /// Synced temporaries and their targets, in the order they were staged.
    files: Vec<(PathBuf, PathBuf)>,
    /// Devices, pipes and standard output, which cannot be staged: written at commit.
    in_place: Vec<(PathBuf, Vec<u8>)>,
    /// Declared last: dropped after the temporaries are gone.
    dirs: CreatedDirs,
}

impl Staged {
    /// Creates the output directory `dir` if needed; it is removed again unless the
    /// outputs are committed.
    pub fn create_dir(&mut self, dir: &Path) -> io::Result<()> {
        let created = create_output_dir(dir)?;
        self.dirs.adopt(created);
        Ok(())
    }

    /// Takes over directories created earlier for these outputs.
    pub fn adopt_dirs(&mut self, dirs: CreatedDirs) {
        self.dirs.adopt(dirs);
    }

    /// Stages `bytes` for `path` (`-` for standard output).
    pub fn write(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        self.write_with(path, |out| out.write_all(bytes))
    }

    /// Stages what `write` writes for `path` (`-` for standard output), streamed into the
    /// temporary file rather than held whole in memory: a summary of 10⁵ services is
    /// hundreds of megabytes of JSON.
    pub(crate) fn write_with(
        &mut self,
        path: &Path,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        let in_place =
            path == Path::new("-") || fs::metadata(path).is_ok_and(|m| !m.is_dir() && !m.is_file());
        if in_place {
            let mut bytes = Vec::new();
            write(&mut bytes)?;
            self.in_place.push((path.to_path_buf(), bytes));
            return Ok(());
        }
        let mut file = AtomicFile::create(path)?;
        write(&mut file)?;
        self.stage(file)
    }

    /// Stages a file written in full (a device, pipe or standard output is only flushed:
    /// its bytes are already out).
    pub(crate) fn stage(&mut self, file: AtomicFile) -> io::Result<()> {
        if let Some(replacement) = file.finish()? {
            self.files.push(replacement);
        }
        Ok(())
    }

    /// Renames every staged file into place, then writes the devices, pipes and standard
    /// output; returns the output that failed. A rename fails only when the file system
    /// does (the temporary is beside its target), after the outputs before it are in
    /// place; the ones after it are removed.
    pub fn commit(mut self) -> Result<(), (PathBuf, io::Error)> {
        for (temporary, target) in std::mem::take(&mut self.files) {
            if let Err(error) = rename_into_place(&temporary, &target) {
                return Err((target, error));
            }
        }
        std::mem::take(&mut self.dirs).keep();
        for (path, bytes) in std::mem::take(&mut self.in_place) {
            write_output(&path, &bytes).map_err(|e| (path, e))?;
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        let mut registered = live();
        for (temporary, _) in self.files.drain(..) {
            let _ = fs::remove_file(&temporary);
            registered.remove(&temporary);
        }
    }
}

/// Writes `bytes` to `path` atomically, or to stdout when `path` is `-`.
pub(crate) fn write_output(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)?;
    file.commit()
}

/// Creates the output directory `dir` (and its parents) if needed; a path that exists but
/// is not a directory is refused in words rather than as "File exists". Returns the
/// directories it created, which are removed again unless kept.
pub(crate) fn create_output_dir(dir: &Path) -> io::Result<CreatedDirs> {
    match fs::metadata(dir) {
        Ok(existing) if !existing.is_dir() => Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            "exists and is not a directory",
        )),
        Ok(_) => Ok(CreatedDirs::default()),
        Err(_) => {
            let missing: Vec<PathBuf> = dir
                .ancestors()
                .filter(|path| !path.as_os_str().is_empty())
                .take_while(|path| fs::symlink_metadata(path).is_err())
                .map(Path::to_path_buf)
                .collect();
            let mut dirs = CreatedDirs::default();
            // Registered before they exist, as temporaries are.
            let mut registered = created();
            for path in missing.into_iter().rev() {
                registered.push(path.clone());
                dirs.0.push(path.clone());
                if let Err(error) = fs::create_dir(&path) {
                    if error.kind() != io::ErrorKind::AlreadyExists {
                        drop(registered);
                        return Err(error);
                    }
                }
            }
            Ok(dirs)
        }
    }
}

/// Checks before any work that `target` can be written as a file: standard output, a
/// device or pipe, or a regular file (new or existing) whose directory takes a temporary
/// file beside it, which is removed at once. A directory is refused in the words of
/// [`AtomicFile::create`].
pub(crate) fn check_output_file(target: &Path) -> io::Result<()> {
    match fs::metadata(target) {
        // Opening a pipe now would block until a reader comes, and close it on the reader.
        Ok(existing) if !existing.is_dir() && !existing.is_file() => Ok(()),
        _ => AtomicFile::create(target).map(drop),
    }
}

/// Checks before any work that `dir` can be an output directory: an existing directory,
/// or a path where one can be created (its nearest existing ancestor is a directory).
/// Nothing is created yet.
pub(crate) fn check_output_dir(dir: &Path) -> io::Result<()> {
    let mut existing = Some(dir);
    while let Some(path) = existing {
        match fs::metadata(path) {
            Ok(metadata) if metadata.is_dir() => return Ok(()),
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    if path == dir {
                        "exists and is not a directory".to_string()
                    } else {
                        format!("{} exists and is not a directory", path.display())
                    },
                ))
            }
            Err(_) => existing = path.parent().filter(|p| !p.as_os_str().is_empty()),
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::unix::fs::FileTypeExt;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("failsim-atomic-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_regular_file_is_replaced_and_no_temporary_is_left() {
        let dir = scratch("regular");
        let target = dir.join("out.json");
        fs::write(&target, "old contents that are longer").unwrap();
        write_output(&target, b"new").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_replaced_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("permissions");
        let target = dir.join("private.json");
        fs::write(&target, "old").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
        write_output(&target, b"new").unwrap();
        let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_dropped_file_leaves_neither_target_nor_temporary() {
        let dir = scratch("dropped");
        let target = dir.join("out.json");
        let mut file = AtomicFile::create(&target).unwrap();
        file.write_all(b"half").unwrap();
        drop(file);
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_is_refused_and_nothing_is_written() {
        let dir = scratch("directory");
        let error = write_output(&dir, b"text").expect_err("a directory is not a file");
        assert_eq!(error.kind(), io::ErrorKind::IsADirectory);
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        assert!(!dir
            .with_file_name(format!(
                ".{}.{}.tmp",
                dir.file_name().unwrap().to_string_lossy(),
                std::process::id()
            ))
            .exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_symbolic_link_is_followed_and_stays_a_link() {
        let dir = scratch("symlink");
        let real = dir.join("real.json");
        let link = dir.join("link.json");
        fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_output(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_dangling_symbolic_link_stays_a_link_and_its_target_is_created() {
        let dir = scratch("dangling");
        fs::create_dir(dir.join("results")).unwrap();
        let link = dir.join("latest.json");
        // Relative, through a second link: each is read from its own directory.
        std::os::unix::fs::symlink("results/hop.json", &link).unwrap();
        std::os::unix::fs::symlink("run-2.json", dir.join("results/hop.json")).unwrap();
        check_output_file(&link).unwrap();
        write_output(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            fs::read_to_string(dir.join("results/run-2.json")).unwrap(),
            "new"
        );
        assert_eq!(fs::read_dir(dir.join("results")).unwrap().count(), 2);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn staged_outputs_appear_together_or_not_at_all_with_their_new_directories() {
        let dir = scratch("staged");
        fs::write(dir.join("kept.json"), "old").unwrap();
        let mut staged = Staged::default();
        staged.create_dir(&dir.join("new/figures")).unwrap();
        staged.write(&dir.join("kept.json"), b"new").unwrap();
        staged
            .write(&dir.join("new/figures/a.svg"), b"<svg/>")
            .unwrap();
        drop(staged);
        assert_eq!(fs::read_to_string(dir.join("kept.json")).unwrap(), "old");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);

        let mut staged = Staged::default();
        staged.create_dir(&dir.join("new/figures")).unwrap();
        staged.write(&dir.join("kept.json"), b"new").unwrap();
        staged
            .write(&dir.join("new/figures/a.svg"), b"<svg/>")
            .unwrap();
        assert_eq!(fs::read_to_string(dir.join("kept.json")).unwrap(), "old");
        staged.commit().unwrap();
        assert_eq!(fs::read_to_string(dir.join("kept.json")).unwrap(), "new");
        assert_eq!(
            fs::read_to_string(dir.join("new/figures/a.svg")).unwrap(),
            "<svg/>"
        );
        assert!(!created().iter().any(|d| d.starts_with(&dir)));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The bug this guards: `--out /dev/null` renamed a regular file over the device node.
    /// A FIFO stands in for the device so a regression cannot damage the machine.
    #[test]
    fn a_pipe_is_written_in_place_and_stays_a_pipe() {
        let dir = scratch("fifo");
        let fifo = dir.join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader_path = fifo.clone();
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            File::open(reader_path)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        });
        write_output(&fifo, b"through the pipe").unwrap();
        // Checked before joining: were the pipe replaced, the reader would wait forever.
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(reader.join().unwrap(), "through the pipe");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }
}
