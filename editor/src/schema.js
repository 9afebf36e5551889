// The document model (crates/domain/src/document.rs) as a ProseMirror schema: the same node and mark names and
// attributes, so the editor loads and saves the stored JSON as it is.
import { Schema } from "prosemirror-model";

const figureAttrs = {
  src: { default: "" }, media_id: { default: null }, alt: { default: "" }, caption: { default: null },
  credit: { default: null }, size: { default: "inline" }, width: { default: null }, height: { default: null },
  href: { default: null },
};

function figureDOM(a, cls) {
  const img = ["img", { src: a.src, alt: a.alt || "", width: a.width, height: a.height, draggable: "false" }];
  const cap = [a.caption, a.credit].filter(Boolean).join(" ");
  return ["figure", { class: cls }, img, ["figcaption", cap || (a.alt ? "" : "⚠ No alt text yet")]];
}

function num(v) { const n = parseInt(v, 10); return Number.isFinite(n) && n > 0 ? n : null; }

export const schema = new Schema({
  nodes: {
    doc: { content: "block+" },
    paragraph: { group: "block", content: "inline*", parseDOM: [{ tag: "p" }], toDOM: () => ["p", 0] },
    heading: {
      group: "block", content: "inline*", attrs: { level: { default: 2 } }, defining: true,
      parseDOM: [1, 2, 3, 4, 5, 6].map((level) => ({ tag: "h" + level, attrs: { level } })),
      toDOM: (n) => ["h" + n.attrs.level, 0],
    },
    bullet_list: { group: "block", content: "list_item+", parseDOM: [{ tag: "ul" }], toDOM: () => ["ul", 0] },
    ordered_list: {
      group: "block", content: "list_item+", attrs: { start: { default: 1 } },
      parseDOM: [{ tag: "ol", getAttrs: (d) => ({ start: d.hasAttribute("start") ? +d.getAttribute("start") : 1 }) }],
      toDOM: (n) => ["ol", n.attrs.start === 1 ? {} : { start: n.attrs.start }, 0],
    },
    list_item: { content: "paragraph block*", defining: true, parseDOM: [{ tag: "li" }], toDOM: () => ["li", 0] },
    blockquote: { group: "block", content: "block+", defining: true, parseDOM: [{ tag: "blockquote" }], toDOM: () => ["blockquote", 0] },
    pull_quote: {
      group: "block", content: "inline*", attrs: { attribution: { default: null } }, defining: true,
      parseDOM: [{ tag: "figure.pull-quote", contentElement: "blockquote p", getAttrs: (d) => ({ attribution: d.querySelector("figcaption")?.textContent || null }) },
        { tag: "blockquote.wp-block-pullquote", getAttrs: () => ({}) }],
      toDOM: (n) => ["blockquote", { class: "pull-quote", "data-attribution": n.attrs.attribution || "" }, ["p", 0]],
    },
    image: {
      group: "block", atom: true, draggable: true, selectable: true, attrs: figureAttrs,
      parseDOM: [{ tag: "img[src]", getAttrs: (d) => ({ src: d.getAttribute("src"), alt: d.getAttribute("alt") || "", width: num(d.getAttribute("width")), height: num(d.getAttribute("height")) }) }],
      toDOM: (n) => figureDOM(n.attrs, "block-image size-" + n.attrs.size),
    },
    gallery: {
      group: "block", atom: true, draggable: true, selectable: true, attrs: { images: { default: [] }, caption: { default: null } },
      toDOM: (n) => ["figure", { class: "gallery" }, ["ul", {}, ...n.attrs.images.map((f) => ["li", {}, ["img", { src: f.src, alt: f.alt || "" }]])], ["figcaption", n.attrs.caption || (n.attrs.images.length + " photos")]],
    },
    embed: {
      group: "block", atom: true, draggable: true, selectable: true,
      attrs: { url: { default: "" }, provider: { default: null }, title: { default: null }, caption: { default: null } },
      toDOM: (n) => ["div", { class: "embed-card" }, ["strong", "Embed"], " ", ["span", n.attrs.title || n.attrs.url]],
    },
    callout: {
      group: "block", content: "block+", attrs: { title: { default: null } }, defining: true,
      parseDOM: [{ tag: "aside.callout" }], toDOM: (n) => ["aside", { class: "callout", "data-title": n.attrs.title || "" }, 0],
    },
    table: { group: "block", content: "table_row+", isolating: true, parseDOM: [{ tag: "table" }], toDOM: () => ["table", ["tbody", 0]] },
    table_row: { content: "(table_cell | table_header)+", parseDOM: [{ tag: "tr" }], toDOM: () => ["tr", 0] },
    table_cell: { content: "inline*", isolating: true, parseDOM: [{ tag: "td" }], toDOM: () => ["td", 0] },
    table_header: { content: "inline*", isolating: true, parseDOM: [{ tag: "th" }], toDOM: () => ["th", 0] },
    code_block: {
      group: "block", content: "text*", marks: "", code: true, defining: true, attrs: { language: { default: null } },
      parseDOM: [{ tag: "pre", preserveWhitespace: "full" }], toDOM: () => ["pre", ["code", 0]],
    },
    horizontal_rule: { group: "block", parseDOM: [{ tag: "hr" }], toDOM: () => ["hr"] },
    related: {
      group: "block", atom: true, draggable: true, selectable: true, attrs: { post: { default: "" } },
      toDOM: (n) => ["div", { class: "embed-card" }, ["strong", "Related story"], " ", ["span", n.attrs.post]],
    },
    prompt: {
      group: "block", atom: true, draggable: true, selectable: true,
      attrs: { kind: { default: "newsletter" }, newsletter: { default: null }, text: { default: null } },
      toDOM: (n) => ["div", { class: "embed-card" }, ["strong", n.attrs.kind === "donation" ? "Donation prompt" : "Newsletter signup"], " ", ["span", n.attrs.newsletter || n.attrs.text || ""]],
    },
    members_only: {
      group: "block", atom: true, selectable: true,
      toDOM: () => ["div", { class: "members-only-marker" }, "Members only from here"],
    },
    html: {
      group: "block", atom: true, draggable: true, selectable: true, attrs: { html: { default: "" } },
      toDOM: (n) => ["div", { class: "embed-card" }, ["strong", "Raw HTML"], " ", ["code", n.attrs.html.slice(0, 80)]],
    },
    text: { group: "inline" },
    hard_break: { inline: true, group: "inline", selectable: false, parseDOM: [{ tag: "br" }], toDOM: () => ["br"] },
  },
  // In the order of the server's mark rank, so equal formatting serialises equally.
  marks: {
    link: {
      attrs: { href: {}, title: { default: null } }, inclusive: false,
      parseDOM: [{ tag: "a[href]", getAttrs: (d) => ({ href: d.getAttribute("href"), title: d.getAttribute("title") }) }],
      toDOM: (m) => ["a", { href: m.attrs.href, title: m.attrs.title, rel: "noopener noreferrer" }, 0],
    },
    bold: {
      parseDOM: [{ tag: "strong" }, { tag: "b", getAttrs: (d) => d.style.fontWeight !== "normal" && !/^[1-4]00$/.test(d.style.fontWeight) && null },
        { style: "font-weight", getAttrs: (v) => /^(bold(er)?|[5-9]\d{2,})$/.test(v) && null }],
      toDOM: () => ["strong", 0],
    },
    italic: { parseDOM: [{ tag: "i" }, { tag: "em" }, { style: "font-style=italic" }], toDOM: () => ["em", 0] },
    strike: { parseDOM: [{ tag: "s" }, { tag: "del" }, { tag: "strike" }, { style: "text-decoration=line-through" }], toDOM: () => ["s", 0] },
    superscript: { excludes: "subscript", parseDOM: [{ tag: "sup" }, { style: "vertical-align=super" }], toDOM: () => ["sup", 0] },
    subscript: { excludes: "superscript", parseDOM: [{ tag: "sub" }, { style: "vertical-align=sub" }], toDOM: () => ["sub", 0] },
    code: { parseDOM: [{ tag: "code" }], toDOM: () => ["code", 0] },
  },
});
