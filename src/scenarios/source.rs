//! Reading a scenario file's text: a size limit enforced while reading (a device or pipe
//! that never ends is refused, not swallowed), UTF-8 with the position of the first bad
//! byte, a UTF-8 byte-order mark skipped, and whether the text is JSON or YAML.

use super::error::{Diagnostic, ScenarioError, SourceText};
use super::positions::path_at;
use std::io::Read;
use std::path::Path;

/// The largest scenario (or risk) file read, in bytes (64 MiB): a million nodes listed one by one
/// (56 MiB) fit, and validating a file this large takes seconds and under a GiB (the
/// model in memory is about ten times the text). Larger topologies come from generators,
/// which take a line each.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The language of a scenario file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JSON: one object.
    Json,
    /// YAML: one document holding a mapping.
    Yaml,
}

impl Format {
    /// The language of `file` whose text starts with `start`: by the extension (`.json`,
    /// `.yaml`, `.yml`, any case); otherwise by the text: JSON when its first significant
    /// character opens an object (or is not text at all), else YAML.
    pub fn detect(file: &Path, start: &[u8]) -> Format {
        let extension = file
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match extension.as_deref() {
            Some("json") => return Format::Json,
            Some("yaml" | "yml") => return Format::Yaml,
            _ => {}
        }
        let body = start.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(start);
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(&first) if first == b'{' || first.is_ascii_control() || is_utf16_mark(body) => {
                Format::Json
            }
            None => Format::Json,
            Some(_) => Format::Yaml,
        }
    }
}

/// How much is read before the first byte is judged.
const FIRST_CHUNK: usize = 64 * 1024;

/// The text of a scenario file, read up to [`MAX_FILE_BYTES`]; `kind` names the file in
/// messages ("a scenario file").
pub fn read_text(file: &Path, kind: &str) -> Result<String, ScenarioError> {
    let unreadable = |source| ScenarioError::Unreadable {
        file: file.to_path_buf(),
        source,
    };
    let mut reader = std::fs::File::open(file).map_err(unreadable)?;
    let metadata = reader.metadata().map_err(unreadable)?;
    if metadata.is_file() && metadata.len() > MAX_FILE_BYTES {
        return Err(too_big(file, Some(metadata.len()), kind));
    }
    let mut bytes = Vec::new();
    let mut limited = (&mut reader).take(MAX_FILE_BYTES + 1);
    let mut chunk = vec![0u8; FIRST_CHUNK];
    // Judge the first bytes before reading on: `/dev/zero` or a binary file is refused
    // at once, whatever its length.
    while bytes.len() < FIRST_CHUNK {
        let n = limited.read(&mut chunk).map_err(unreadable)?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&chunk[..n]);
    }
    let judged = match Format::detect(file, &bytes) {
        Format::Json => not_an_object(&bytes, kind),
        Format::Yaml => not_text(&bytes, kind),
    };
    if let Some(diagnostic) = judged {
        return Err(ScenarioError::Invalid {
            file: file.to_path_buf(),
            diagnostics: vec![diagnostic],
            text: SourceText::default(),
        });
    }
    if metadata.is_file() {
        // Room for the whole file at once: growing by doubling would hold up to twice
        // its size for as long as the text lives (through compilation).
        let size = usize::try_from(metadata.len()).unwrap_or(usize::MAX);
        bytes.reserve_exact(size.saturating_sub(bytes.len()).saturating_add(1));
    }
    limited.read_to_end(&mut bytes).map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big(file, None, kind));
    }
    decode(bytes, file)
}

fn too_big(file: &Path, size: Option<u64>, kind: &str) -> ScenarioError {
    const MIB: u64 = 1024 * 1024;
    let size = match size {
        Some(bytes) => format!("{} MiB", bytes.div_ceil(MIB)),
        None => format!("more than {} MiB", MAX_FILE_BYTES / MIB),
    };
    ScenarioError::Invalid {
        file: file.to_path_buf(),
        diagnostics: vec![Diagnostic {
            path: String::new(),
            line: 1,
            column: 1,
            message: format!(
                "the file holds {size}, beyond the limit of {} MiB for {kind}",
                MAX_FILE_BYTES / MIB
            ),
        }],
        text: SourceText::default(),
    }
}

/// The problem with text whose first significant byte cannot start a JSON object, if
/// it cannot (judged on the first bytes only).
pub(crate) fn not_an_object(bytes: &[u8], kind: &str) -> Option<Diagnostic> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (offset, &first) = body
        .iter()
        .enumerate()
        .find(|(_, b)| !b.is_ascii_whitespace())?;
    if first == b'{' || is_utf16_mark(body) {
        return None;
    }
    let (line, column) = line_column(body, offset);
    let found = if first.is_ascii_graphic() {
        format!("`{}`", first as char)
    } else {
        format!("byte 0x{first:02X}, which is not text")
    };
    Some(Diagnostic {
        path: String::new(),
        line,
        column,
        message: format!("{kind} holds one JSON object, `{{ ... }}`; found {found}"),
    })
}

/// The problem with YAML text that holds a control character (a binary file), judged
/// on the first bytes only.
fn not_text(bytes: &[u8], kind: &str) -> Option<Diagnostic> {
    let offset = bytes
        .iter()
        .position(|&b| b.is_ascii_control() && !matches!(b, b'\t' | b'\n' | b'\r'))?;
    let (line, column) = line_column(bytes, offset);
    Some(Diagnostic {
        path: String::new(),
        line,
        column,
        message: format!(
            "{kind} is text; found byte 0x{:02X}, which is not text",
            bytes[offset]
        ),
    })
}

fn is_utf16_mark(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF")
}

/// The text of `bytes`: UTF-8, with a leading byte-order mark dropped; otherwise the
/// first bad byte with its byte offset, line:column and the JSON path around it.
pub fn decode(bytes: Vec<u8>, file: &Path) -> Result<String, ScenarioError> {
    let invalid = |line, column, path, message| ScenarioError::Invalid {
        file: file.to_path_buf(),
        diagnostics: vec![Diagnostic {
            path,
            line,
            column,
            message,
        }],
        text: SourceText::default(),
    };
    if is_utf16_mark(&bytes) {
        return Err(invalid(
            1,
            1,
            String::new(),
            format!(
                "the file is UTF-16 text (it starts with the byte-order mark {:02X} {:02X}): \
                 save it as UTF-8",
                bytes[0], bytes[1]
            ),
        ));
    }
    match String::from_utf8(bytes) {
        // A byte-order mark stays: the readers drop one ([`without_bom`]), and dropping
        // it here as well let a file with two through the library but not the CLI.
        Ok(text) => Ok(text),
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
            let line = valid.matches('\n').count() + 1;
            let column = valid.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            let lossy = String::from_utf8_lossy(&bytes);
            Err(invalid(
                line,
                column,
                path_at(&lossy, offset),
                format!(
                    "the file is not UTF-8 text: byte 0x{:02X} at byte offset {offset} does not \
                     start a UTF-8 character; save the file as UTF-8",
                    bytes[offset]
                ),
            ))
        }
    }
}

/// The 1-based line and byte column of byte `offset` of `bytes`.
fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    (line, offset - line_start + 1)
}

/// `text` without a leading byte-order mark, which editors on some systems write and
/// JSON parsers do not read.
pub(crate) fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{FEFF}').unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostic(result: Result<String, ScenarioError>) -> Diagnostic {
        match result {
            Err(ScenarioError::Invalid { diagnostics, .. }) => diagnostics[0].clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_bad_byte_is_placed_by_offset_line_column_and_path() {
        let bytes = b"{\n  \"nodes\": [\"a\xFFb\"]\n}".to_vec();
        let found = diagnostic(decode(bytes, Path::new("x.json")));
        assert_eq!((found.line, found.column), (2, 15));
        assert_eq!(found.path, "nodes[0]");
        assert!(
            found.message.contains("byte 0xFF at byte offset 16"),
            "{}",
            found.message
        );
    }

    #[test]
    fn a_byte_order_mark_is_kept_for_the_reader_and_utf16_is_named() {
        let text = decode(b"\xEF\xBB\xBF{}".to_vec(), Path::new("x.json")).unwrap();
        assert_eq!(without_bom(&text), "{}");
        let found = diagnostic(decode(b"\xFF\xFE{\x00".to_vec(), Path::new("x.json")));
        assert!(found.message.starts_with("the file is UTF-16 text"));
    }

    #[test]
    fn a_device_that_never_ends_is_refused_at_its_first_byte() {
        let started = std::time::Instant::now();
        let found = diagnostic(read_text(Path::new("/dev/zero"), "a scenario file"));
        assert_eq!(
            found.message,
            "a scenario file holds one JSON object, `{ ... }`; found byte 0x00, which is not text"
        );
        assert!(started.elapsed().as_secs() < 2);
    }
}
