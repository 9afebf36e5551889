//! Charts drawn on the server as SVG (the admin's revenue page): no script, no third party, readable by screen
//! readers (a title, a description, and each bar's value in its own `<title>`). Labels are escaped.

use crate::document::escape;

/// One bar: its label under the axis, its value, and the value as text (`£12.00`, `41`).
pub struct Bar<'a> {
    pub label: &'a str,
    pub value: i64,
    pub text: String,
}

const WIDTH: i64 = 640;
const HEIGHT: i64 = 220;
const TOP: i64 = 24;
const BOTTOM: i64 = 28;
const LEFT: i64 = 8;

/// A bar chart of `bars`, `id` naming its title for `aria-labelledby`, `stack` an optional second series drawn on
/// top of the first (its own values and texts), `legend` the two series' names.
pub fn bar_chart(id: &str, title: &str, bars: &[Bar<'_>], stack: Option<(&[Bar<'_>], [&str; 2])>) -> String {
    let n = bars.len().max(1) as i64;
    let slot = (WIDTH - LEFT * 2) / n;
    let bar_w = (slot * 7 / 10).max(2);
    let totals: Vec<i64> = bars
        .iter()
        .enumerate()
        .map(|(i, b)| b.value.max(0) + stack.and_then(|(s, _)| s.get(i)).map_or(0, |s| s.value.max(0)))
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let plot = HEIGHT - TOP - BOTTOM;
    let id = escape(id);
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" aria-labelledby=\"{id}-title {id}-desc\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}-title\">{}</title>",
        escape(title)
    );
    let desc: Vec<String> = bars
        .iter()
        .enumerate()
        .map(|(i, b)| match stack.and_then(|(s, _)| s.get(i)) {
            Some(s) => format!("{}: {} and {}", b.label, b.text, s.text),
            None => format!("{}: {}", b.label, b.text),
        })
        .collect();
    svg.push_str(&format!("<desc id=\"{id}-desc\">{}</desc>", escape(&desc.join("; "))));
    svg.push_str(&format!(
        "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" class=\"axis\" stroke=\"currentColor\" stroke-opacity=\"0.4\"/>",
        y = HEIGHT - BOTTOM,
        x2 = WIDTH - LEFT
    ));
    for (i, b) in bars.iter().enumerate() {
        let x = LEFT + slot * i as i64 + (slot - bar_w) / 2;
        let h = b.value.max(0) * plot / max;
        let y = HEIGHT - BOTTOM - h;
        svg.push_str(&format!(
            "<rect class=\"bar\" x=\"{x}\" y=\"{y}\" width=\"{bar_w}\" height=\"{h}\" fill=\"currentColor\"><title>{}: {}</title></rect>",
            escape(b.label),
            escape(&b.text)
        ));
        let mut top = y;
        if let Some(s) = stack.and_then(|(s, _)| s.get(i)) {
            let h2 = s.value.max(0) * plot / max;
            top = y - h2;
            svg.push_str(&format!(
                "<rect class=\"bar second\" x=\"{x}\" y=\"{top}\" width=\"{bar_w}\" height=\"{h2}\" fill=\"currentColor\" fill-opacity=\"0.45\"><title>{}: {}</title></rect>",
                escape(b.label),
                escape(&s.text)
            ));
        }
        if totals[i] > 0 {
            let label = match stack.and_then(|(s, _)| s.get(i)) {
                Some(_) => String::new(),
                None => b.text.clone(),
            };
            if !label.is_empty() {
                svg.push_str(&format!(
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"currentColor\">{}</text>",
                    x + bar_w / 2,
                    top - 4,
                    escape(&label)
                ));
            }
        }
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"currentColor\">{}</text>",
            x + bar_w / 2,
            HEIGHT - BOTTOM + 16,
            escape(b.label)
        ));
    }
    if let Some((_, [first, second])) = stack {
        svg.push_str(&format!(
            "<rect x=\"{LEFT}\" y=\"4\" width=\"10\" height=\"10\" fill=\"currentColor\"/><text x=\"{}\" y=\"13\" font-size=\"11\" fill=\"currentColor\">{}</text>\
             <rect x=\"{}\" y=\"4\" width=\"10\" height=\"10\" fill=\"currentColor\" fill-opacity=\"0.45\"/><text x=\"{}\" y=\"13\" font-size=\"11\" fill=\"currentColor\">{}</text>",
            LEFT + 14,
            escape(first),
            LEFT + 140,
            LEFT + 154,
            escape(second)
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_labels_are_escaped() {
        let bars = [
            Bar { label: "Jan", value: 50, text: "£0.50".into() },
            Bar { label: "<Feb>", value: 100, text: "£1.00".into() },
        ];
        let svg = bar_chart("c", "Revenue & more", &bars, None);
        assert!(svg.contains("Revenue &amp; more"));
        assert!(svg.contains("&lt;Feb&gt;") && !svg.contains("<Feb>"));
        let plot = HEIGHT - TOP - BOTTOM;
        assert!(svg.contains(&format!("height=\"{plot}\"")), "the largest bar fills the plot");
        assert!(svg.contains(&format!("height=\"{}\"", plot / 2)));
        let empty = bar_chart("e", "Nothing", &[], None);
        assert!(empty.starts_with("<svg") && empty.ends_with("</svg>"));
    }
}
