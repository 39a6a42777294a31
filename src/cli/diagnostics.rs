//! Problems in an input file as a person reads them: each `file:line:column: at PATH:
//! message` line is followed by the line of the file it is on, with a caret under the
//! offending token (annotate-snippets, the renderer of rustc and cargo). Colour only on
//! a terminal, and never when `NO_COLOR` is set.

use super::CliError;
use crate::output::table::terminal_safe;
use crate::scenarios::{Diagnostic, ScenarioError};
use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use std::io::IsTerminal;

/// Problems shown with their source line; past these, only the `file:line:column` line
/// (a file with ten thousand unknown ids should not print fifty thousand lines).
const MAX_SNIPPETS: usize = 20;
/// Characters of a long line shown on each side of the column.
const WINDOW: usize = 60;
/// The longest token underlined whole (a string value, a number): beyond, the underline
/// runs to the end of the excerpt.
const MAX_TOKEN: usize = 1_000;

/// The error for a file that could not be loaded, rendered for stderr.
pub(super) fn scenario_error(error: ScenarioError) -> CliError {
    CliError::Rendered(render(&error, colour_on_stderr()))
}

/// Whether stderr takes colour: a terminal, and `NO_COLOR` unset or empty.
pub(super) fn colour_on_stderr() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Every problem of `error`, each with its source line and caret where the text is
/// known; `error: ` in front of each problem.
pub(super) fn render(error: &ScenarioError, colour: bool) -> String {
    let ScenarioError::Invalid {
        file,
        diagnostics,
        text,
    } = error
    else {
        return format!("error: {}", terminal_safe(&error.to_string(), true));
    };
    let renderer = if colour {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let lines = text.get().map(Lines::new);
    let mut out = Vec::with_capacity(diagnostics.len());
    for (index, d) in diagnostics.iter().enumerate() {
        let path = if d.path.is_empty() { "." } else { &d.path };
        let title = terminal_safe(
            &format!(
                "{}:{}:{}: at {path}: {}",
                file.display(),
                d.line,
                d.column,
                d.message
            ),
            false,
        )
        .into_owned();
        let snippet = lines
            .as_ref()
            .filter(|_| index < MAX_SNIPPETS)
            .and_then(|lines| lines.excerpt(d));
        out.push(match snippet {
            Some(excerpt) => {
                let report = &[Level::ERROR.primary_title(&title).element(
                    Snippet::source(&excerpt.line)
                        .line_start(d.line)
                        .annotation(AnnotationKind::Primary.span(excerpt.span)),
                )];
                renderer.render(report)
            }
            None => format!("error: {title}"),
        });
    }
    out.join("\n")
}

/// The start of every line of a text, found once for all its problems.
struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

/// One line to show and the byte range of the token to underline in it.
struct Excerpt {
    line: String,
    span: std::ops::Range<usize>,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Lines { text, starts }
    }

    /// The line of `d`, made safe for a terminal and cut to a window around its column
    /// when long, with the token at its column underlined.
    fn excerpt(&self, d: &Diagnostic) -> Option<Excerpt> {
        let start = *self.starts.get(d.line.checked_sub(1)?)?;
        let end = self
            .starts
            .get(d.line)
            .map_or(self.text.len(), |&next| next - 1);
        let raw = self.text[start..end].trim_end_matches('\r');
        // Only the window around the column is read: a one-line file of 50 MB is
        // excerpted in microseconds, not by copying the line for each problem.
        let ascii = raw.is_ascii();
        let line_chars = if ascii {
            raw.len()
        } else {
            raw.chars().count()
        };
        let column = d.column.saturating_sub(1).min(line_chars);
        let from = column.saturating_sub(WINDOW);
        let window_start = if ascii {
            from
        } else {
            raw.char_indices().nth(from).map_or(raw.len(), |(at, _)| at)
        };
        let mut rest = raw[window_start..].chars();
        // Control characters become one replacement character each, so that columns
        // still count characters.
        let chars: Vec<char> = rest
            .by_ref()
            .take(column - from + MAX_TOKEN + WINDOW)
            .map(|c| {
                if c.is_control() && c != '\t' {
                    '\u{FFFD}'
                } else {
                    c
                }
            })
            .collect();
        let more = rest.next().is_some();
        let column = column - from;
        let length = token_length(&chars[column..]);
        let to = (column + length + WINDOW).min(chars.len());
        let mut line = String::new();
        if window_start > 0 {
            line.push_str("...");
        }
        let before: String = chars[..column].iter().collect();
        let token: String = chars[column..column + length].iter().collect();
        let after: String = chars[column + length..to].iter().collect();
        line.push_str(&before);
        let span_start = line.len();
        line.push_str(&token);
        let span = span_start..line.len();
        line.push_str(&after);
        if to < chars.len() || more {
            line.push_str("...");
        }
        let line = terminal_safe(&line, false).into_owned();
        Some(Excerpt { line, span })
    }
}

/// How many characters the token at the start of `rest` has: a quoted string to its
/// closing quote, a bracket alone, else up to the next delimiter of JSON or YAML.
fn token_length(rest: &[char]) -> usize {
    match rest.first() {
        None => 0,
        Some(&quote @ ('"' | '\'')) => {
            let mut escaped = false;
            for (i, &c) in rest.iter().enumerate().skip(1) {
                match c {
                    '\\' if quote == '"' && !escaped => escaped = true,
                    c if c == quote && !escaped => return i + 1,
                    _ => escaped = false,
                }
            }
            rest.len()
        }
        Some('{' | '[' | '}' | ']') => 1,
        Some(_) => {
            let end = rest
                .iter()
                .position(|c| matches!(c, ',' | ']' | '}' | '#' | ':') || c.is_whitespace())
                .unwrap_or(rest.len());
            end.max(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::error::SourceText;
    use std::path::PathBuf;

    fn error(text: &str, line: usize, column: usize) -> ScenarioError {
        ScenarioError::Invalid {
            file: PathBuf::from("s.yaml"),
            diagnostics: vec![Diagnostic {
                path: "topology.nodes[0].zoen".to_string(),
                line,
                column,
                message: "unknown field `zoen`".to_string(),
            }],
            text: SourceText::new(text),
        }
    }

    #[test]
    fn the_caret_sits_under_the_whole_token() {
        let text = "topology:\n  nodes:\n    - {id: a, zoen: b}\n";
        let shown = render(&error(text, 3, 15), false);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(
            lines[0],
            "error: s.yaml:3:15: at topology.nodes[0].zoen: unknown field `zoen`"
        );
        let source = lines.iter().find(|l| l.contains("{id: a")).unwrap();
        let caret = lines.iter().find(|l| l.contains('^')).unwrap();
        let at = source.find("zoen").unwrap();
        assert_eq!(caret.find('^'), Some(at), "{shown}");
        assert_eq!(caret.trim_end().len() - at, 4, "{shown}");
        assert!(!shown.contains('\u{1b}'), "no colour when not asked");
    }

    #[test]
    fn quoted_strings_and_escapes_in_the_file_stay_harmless() {
        let text = "{\"name\": \"a\\\"b\", \"x\u{1b}[31m\": 1}";
        let shown = render(&error(text, 1, 10), false);
        let caret = shown.lines().find(|l| l.contains('^')).unwrap();
        assert_eq!(caret.matches('^').count(), 6, "{shown}");
        assert!(!shown.contains('\u{1b}'), "{shown}");
        assert!(render(&error(text, 1, 10), true).contains('\u{1b}'));
    }

    #[test]
    fn a_long_line_is_cut_around_the_column() {
        let text = format!("{{\"a\": [{}\"bad\"]}}", "1, ".repeat(10_000));
        let column = text.find("\"bad\"").unwrap() + 1;
        let shown = render(&error(&text, 1, column), false);
        assert!(shown.len() < 1000, "{}", shown.len());
        assert!(shown.contains("...1, 1, "), "{shown}");
    }
}
