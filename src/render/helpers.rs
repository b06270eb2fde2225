//! Template helpers. Each one is small and pure; zone- and config-specific quoting lives here
//! so that templates never hand-roll it.

use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderErrorReason,
    handlebars_helper,
};

pub fn register(registry: &mut Handlebars<'static>, color: bool) {
    registry.register_helper("wrap", Box::new(Wrap));
    registry.register_helper("mark", Box::new(Mark { color }));
    registry.register_helper("style", Box::new(Style { color }));
    registry.register_helper("txt_chunks", Box::new(txt_chunks));
    registry.register_helper("upper", Box::new(upper));
    registry.register_helper("join", Box::new(join));
    registry.register_helper("plural", Box::new(plural));
    registry.register_helper("concat", Box::new(concat));
    registry.register_helper("json", Box::new(json));
    registry.register_helper("pad", Box::new(pad_helper));
    registry.register_helper("sh_quote", Box::new(sh_quote));
}

/// `{{wrap text indent}}`: re-flow each paragraph of `text` to 78 columns, every line
/// indented by `indent` spaces (the first too). Blank lines separate paragraphs; lines
/// starting with "- ", "* ", a digit and ". ", or four spaces are kept as they are.
struct Wrap;

impl HelperDef for Wrap {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let text = h
            .param(0)
            .map(|p| match p.value() {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            })
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("wrap", 0))?;
        let indent = h.param(1).and_then(|p| p.value().as_u64()).unwrap_or(0) as usize;
        out.write(&wrap_text(&text, indent, 78))?;
        Ok(())
    }
}

/// Re-flow `text` (see [`Wrap`]).
pub fn wrap_text(text: &str, indent: usize, width: usize) -> String {
    let pad = " ".repeat(indent);
    let width = width.saturating_sub(indent).max(20);
    let mut out: Vec<String> = Vec::new();
    let mut paragraph = String::new();
    let flush = |paragraph: &mut String, out: &mut Vec<String>| {
        if !paragraph.is_empty() {
            let options = textwrap::Options::new(width)
                .break_words(false)
                .word_separator(textwrap::WordSeparator::AsciiSpace)
                .word_splitter(textwrap::WordSplitter::NoHyphenation);
            for line in textwrap::wrap(paragraph, options) {
                out.push(format!("{pad}{line}"));
            }
            paragraph.clear();
        }
    };
    for line in text.trim_end().lines() {
        let trimmed = line.trim();
        let keeps_shape = line.starts_with("    ")
            || trimmed.starts_with("- ")
            || trimmed.starts_with("* ")
            || trimmed
                .split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if trimmed.is_empty() {
            flush(&mut paragraph, &mut out);
            out.push(String::new());
        } else if keeps_shape {
            flush(&mut paragraph, &mut out);
            if line.starts_with("    ") {
                out.push(format!("{pad}{line}"));
            } else {
                // A list item: wrap it with a hanging indent under its text.
                let hang = trimmed.find(' ').map_or(2, |i| i + 1);
                let hang_pad = " ".repeat(hang);
                let options = textwrap::Options::new(width)
                    .subsequent_indent(&hang_pad)
                    .break_words(false)
                    .word_separator(textwrap::WordSeparator::AsciiSpace)
                    .word_splitter(textwrap::WordSplitter::NoHyphenation);
                for l in textwrap::wrap(trimmed, options) {
                    out.push(format!("{pad}{l}"));
                }
            }
        } else {
            if !paragraph.is_empty() {
                paragraph.push(' ');
            }
            paragraph.push_str(trimmed);
        }
    }
    flush(&mut paragraph, &mut out);
    out.join("\n")
}

/// `{{mark severity}}`: a fixed-width severity mark, coloured on a colour terminal.
struct Mark {
    color: bool,
}

impl HelperDef for Mark {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let severity = h.param(0).and_then(|p| p.value().as_str()).unwrap_or("");
        let (text, style) = match severity {
            "critical" => ("[CRIT]", console::Style::new().red().bold()),
            "unknown" => ("[ ?? ]", console::Style::new().magenta().bold()),
            "warning" => ("[WARN]", console::Style::new().yellow().bold()),
            "info" => ("[INFO]", console::Style::new().cyan()),
            "ok" => ("[ OK ]", console::Style::new().green()),
            _ => ("[    ]", console::Style::new()),
        };
        if self.color {
            out.write(&style.force_styling(true).apply_to(text).to_string())?;
        } else {
            out.write(text)?;
        }
        Ok(())
    }
}

/// `{{style "bold" text}}`: bold, dim or underline on a colour terminal, plain otherwise.
struct Style {
    color: bool,
}

impl HelperDef for Style {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let kind = h.param(0).and_then(|p| p.value().as_str()).unwrap_or("");
        let text = h.param(1).and_then(|p| p.value().as_str()).unwrap_or("");
        if !self.color {
            out.write(text)?;
            return Ok(());
        }
        let style = match kind {
            "bold" => console::Style::new().bold(),
            "dim" => console::Style::new().dim(),
            "underline" => console::Style::new().underlined(),
            _ => console::Style::new(),
        };
        out.write(&style.force_styling(true).apply_to(text).to_string())?;
        Ok(())
    }
}

handlebars_helper!(upper: |s: str| s.to_uppercase());

handlebars_helper!(join: |items: array, sep: str| items
    .iter()
    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
    .collect::<Vec<_>>()
    .join(sep));

handlebars_helper!(plural: |n: u64, word: str| if n == 1 { word.to_string() } else { format!("{word}s") });

handlebars_helper!(concat: |*args| args
    .iter()
    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
    .collect::<String>());

handlebars_helper!(json: |v: Json| serde_json::to_string_pretty(v).unwrap_or_default());

handlebars_helper!(txt_chunks: |s: str| quote_txt(s));

// `{{pad value width}}`: the value left-aligned in `width` columns (never cut), for
// readable zone files.
handlebars_helper!(pad_helper: |v: Json, width: u64| {
    let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
    format!("{text:<width$}", width = width as usize)
});

// `{{sh_quote value}}`: one POSIX shell word, single-quoted (a `'` inside becomes `'\''`).
handlebars_helper!(sh_quote: |s: str| format!("'{}'", s.replace('\'', "'\\''")));

/// A TXT value as zone-file character-strings: `"…" "…"`, each at most 255 bytes, quotes and
/// backslashes escaped, never split inside an escape or a UTF-8 character.
pub fn quote_txt(value: &str) -> String {
    let mut chunks: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut current_len = 0usize;
    for c in value.chars() {
        let piece = match c {
            '"' => "\\\"".to_string(),
            '\\' => "\\\\".to_string(),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => format!("\\{:03}", c as u32),
            c => c.to_string(),
        };
        // The limit is on the wire bytes, which for an escape is the one byte it stands for.
        let wire_len = if piece.starts_with('\\') {
            1
        } else {
            piece.len()
        };
        if current_len + wire_len > 255 {
            chunks.push(std::mem::take(&mut current));
            current_len = 0;
        }
        current.push_str(&piece);
        current_len += wire_len;
    }
    if !current.is_empty() || chunks.is_empty() {
        chunks.push(current);
    }
    chunks
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_txt_splits_at_255_wire_bytes() {
        let long = "a".repeat(600);
        let quoted = quote_txt(&long);
        let parts: Vec<&str> = quoted.split(' ').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].len(), 257);
        assert_eq!(parts[2].len(), 600 - 510 + 2);
    }

    #[test]
    fn quote_txt_escapes_quotes_and_never_splits_an_escape() {
        let value = format!("{}\"b", "a".repeat(254));
        assert_eq!(
            quote_txt(&value),
            format!("\"{}\\\"\" \"b\"", "a".repeat(254))
        );
        assert_eq!(quote_txt(""), "\"\"");
        assert_eq!(quote_txt("a\nb"), "\"a\\010b\"");
    }

    #[test]
    fn pad_and_sh_quote() {
        let mut h = Handlebars::new();
        h.register_escape_fn(handlebars::no_escape);
        register(&mut h, false);
        let out = h
            .render_template(
                "[{{pad a 5}}][{{sh_quote b}}]",
                &serde_json::json!({"a": "ab", "b": "it's"}),
            )
            .unwrap();
        assert_eq!(out, "[ab   ]['it'\\''s']");
    }

    #[test]
    fn wrap_keeps_lists_and_reflows_paragraphs() {
        let text = "one two\nthree\n\n- item one\n- item two";
        assert_eq!(
            wrap_text(text, 2, 78),
            "  one two three\n\n  - item one\n  - item two"
        );
    }
}
