// Newsdesk's rich-text editor: ProseMirror over the document model. It replaces the Markdown textarea when
// JavaScript runs (without it, the textarea still works), keeps a hidden `document` field in step for the form,
// autosave and the conflict check, and offers every block through the "+" menu and "/" commands.
import { EditorState, TextSelection, NodeSelection, Plugin } from "prosemirror-state";
import { EditorView } from "prosemirror-view";
import { Node as PMNode, Slice } from "prosemirror-model";
import { keymap } from "prosemirror-keymap";
import { history, undo, redo, closeHistory } from "prosemirror-history";
import { baseKeymap, toggleMark, setBlockType, wrapIn, chainCommands, exitCode } from "prosemirror-commands";
import { inputRules, wrappingInputRule, textblockTypeInputRule, InputRule, smartQuotes, ellipsis, emDash } from "prosemirror-inputrules";
import { splitListItem, liftListItem, sinkListItem, wrapInList } from "prosemirror-schema-list";
import { dropCursor } from "prosemirror-dropcursor";
import { gapCursor } from "prosemirror-gapcursor";
import { schema } from "./schema.js";
import { cleanPastedHTML } from "./paste.js";

const N = schema.nodes, M = schema.marks;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") e.textContent = v; else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) e.append(c);
  return e;
}

// ---- Block settings: one accessible dialog, its fields described per block ----
const FIELDS = {
  image: [["file", "Upload a photo", "file"], ["src", "Image address", "text"], ["alt", "Alt text (describe the photo)", "text"], ["caption", "Caption", "text"], ["credit", "Credit", "text"], ["size", "Size", ["inline", "wide", "full"]]],
  gallery: [["files", "Upload photos", "files"], ["caption", "Gallery caption", "text"]],
  embed: [["url", "Address of the video, post, map or document", "url"], ["title", "Title", "text"], ["caption", "Caption", "text"]],
  related: [["post", "Slug of the related story", "text"]],
  prompt: [["kind", "Prompt", ["newsletter", "donation"]], ["newsletter", "Newsletter slug (empty: the first)", "text"], ["text", "Text", "text"]],
  html: [["html", "HTML (cleaned when published)", "textarea"]],
  callout: [["title", "Fact box title", "text"]],
  pull_quote: [["attribution", "Attribution", "text"]],
  code_block: [["language", "Language", "text"]],
  link: [["href", "Link address", "url"], ["title", "Title", "text"]],
  feature: [["file", "Upload a photo", "file"]],
};
const LABELS = { feature: "Feature image", image: "Image", gallery: "Gallery", embed: "Embed", related: "Related story", prompt: "Signup or donation prompt", html: "Raw HTML", callout: "Fact box", pull_quote: "Pull quote", code_block: "Code", link: "Link" };

let lookup = async () => ({});

function askAttrs(kind, current, upload) {
  return new Promise((resolve) => {
    const dlg = el("dialog", { class: "block-dialog", "aria-labelledby": "block-dialog-title" });
    const form = el("form", { method: "dialog" });
    form.append(el("h2", { id: "block-dialog-title", text: LABELS[kind] }));
    const inputs = {};
    for (const [name, label, type] of FIELDS[kind]) {
      const id = "bd-" + name;
      let input;
      if (Array.isArray(type)) {
        input = el("select", { id, name });
        for (const o of type) input.append(el("option", { value: o, text: o, selected: current[name] === o }));
      } else if (type === "textarea") {
        input = el("textarea", { id, name, rows: 8 });
        input.value = current[name] || "";
      } else if (type === "file" || type === "files") {
        input = el("input", { id, name, type: "file", accept: "image/jpeg,image/png,image/webp,image/gif", multiple: type === "files" });
      } else {
        input = el("input", { id, name, type: type === "url" ? "url" : "text", value: current[name] || "" });
      }
      inputs[name] = input;
      form.append(el("div", { class: "field" }, el("label", { for: id, text: label }), input));
    }
    // Images and galleries can reuse files from the media library.
    const picked = [];
    if (kind === "image" || kind === "gallery" || kind === "feature") {
      const search = el("input", { id: "bd-library", type: "search", placeholder: "Search the library" });
      const results = el("ul", { class: "picker-grid", "aria-label": "Library images" });
      const note = el("p", { class: "hint", "aria-live": "polite" });
      async function find() {
        const r = await fetch("/admin/media.json?kind=image&q=" + encodeURIComponent(search.value), { credentials: "same-origin" });
        const j = await r.json();
        results.textContent = "";
        for (const f of j.media) {
          const b = el("button", { type: "button", title: f.name }, el("img", { src: f.thumb, alt: "" }), el("span", { text: f.alt || f.name }));
          b.addEventListener("click", () => {
            const chosen = { src: f.src, media_id: f.id, width: f.width, height: f.height, alt: f.alt || "", caption: f.caption, credit: f.credit };
            if (kind === "image" || kind === "feature") {
              picked.length = 0;
              picked.push(chosen);
              for (const name of ["alt", "caption", "credit"]) if (inputs[name] && !inputs[name].value && chosen[name]) inputs[name].value = chosen[name];
              if (inputs.src) inputs.src.value = f.src;
              note.textContent = `Chosen: ${f.name}`;
            } else {
              picked.push(chosen);
              note.textContent = `${picked.length} photo${picked.length > 1 ? "s" : ""} chosen from the library`;
            }
          });
          results.append(el("li", {}, b));
        }
        if (!j.media.length) results.append(el("li", { text: "No images match." }));
      }
      search.addEventListener("input", () => { clearTimeout(search.t); search.t = setTimeout(find, 200); });
      const open = el("button", { type: "button", text: "Choose from the media library" });
      open.addEventListener("click", () => { lib.hidden = false; open.hidden = true; find(); search.focus(); });
      const lib = el("div", { class: "field", hidden: true }, el("label", { for: "bd-library", text: "Media library" }), search, results, note);
      form.append(open, lib);
    }
    if (kind === "embed") {
      const about = el("p", { class: "hint", id: "bd-embed-about", "aria-live": "polite" });
      inputs.url.setAttribute("aria-describedby", "bd-embed-about");
      inputs.url.addEventListener("change", async () => {
        if (!inputs.url.value.trim()) return;
        about.textContent = "Looking it up…";
        try {
          const j = await lookup(inputs.url.value.trim());
          if (!inputs.title.value && j.title) inputs.title.value = j.title;
          about.textContent = `${j.provider}: ${j.player ? "readers can play it here after they click (nothing loads before)" : "readers follow a link to it"}.`;
        } catch (e) { about.textContent = e.message; }
      });
      inputs.url.closest(".field").append(about);
    }
    const status = el("p", { class: "field-error", role: "alert" });
    form.append(status, el("div", { class: "buttons" }, el("button", { type: "submit", value: "ok", class: "primary", text: "Apply" }), el("button", { type: "submit", value: "cancel", text: "Cancel" })));
    dlg.append(form);
    document.body.append(dlg);
    form.addEventListener("submit", async (e) => {
      const ok = e.submitter && e.submitter.value === "ok";
      if (!ok) return;
      e.preventDefault();
      const out = { ...current };
      for (const [name, , type] of FIELDS[kind]) {
        if (type === "file" || type === "files") continue;
        const v = inputs[name].value.trim();
        out[name] = v === "" ? (name === "alt" || name === "html" || name === "post" || name === "url" || name === "src" ? "" : null) : v;
      }
      try {
        if ((kind === "image" || kind === "feature") && picked.length) Object.assign(out, picked[0]);
        if (kind === "gallery" && picked.length) out.images = [...(out.images || []), ...picked];
        if (inputs.file && inputs.file.files.length) {
          const up = await upload(inputs.file.files[0]);
          for (const name of ["alt", "caption", "credit"]) if (!out[name] && up[name]) out[name] = up[name];
          Object.assign(out, { src: up.src, media_id: up.media_id, width: up.width, height: up.height });
        }
        if (inputs.files && inputs.files.files.length) {
          out.images = [...(out.images || [])];
          for (const f of inputs.files.files) out.images.push(await upload(f));
        }
      } catch (err) { status.textContent = err.message; return; }
      const required = { feature: ["media_id", "Upload a photo or choose one from the library."], image: ["src", "Upload a photo, choose one from the library or give its address."], embed: ["url", "Give the address of what to embed."], related: ["post", "Give the slug of the related story."], link: ["href", ""] }[kind];
      if (required && required[1] && !out[required[0]]) { status.textContent = required[1]; return; }
      if (kind === "gallery" && !(out.images || []).length) { status.textContent = "Add at least one photo."; return; }
      dlg.close(); dlg.remove(); resolve(out);
    });
    dlg.addEventListener("cancel", () => { dlg.remove(); resolve(null); });
    form.addEventListener("click", (e) => { if (e.target.value === "cancel") { dlg.close(); dlg.remove(); resolve(null); } });
    dlg.showModal();
    (inputs.url || inputs.alt || inputs.post || inputs.html || inputs.title || Object.values(inputs)[0]).focus();
  });
}

// ---- Commands ----
function moveBlock(dir) {
  return (state, dispatch) => {
    const { $from } = state.selection;
    if ($from.depth < 1 && !(state.selection instanceof NodeSelection)) return false;
    const depth = state.selection instanceof NodeSelection ? $from.depth : 1;
    const start = state.selection instanceof NodeSelection && depth === 0 ? state.selection.from : $from.before(Math.max(depth, 1));
    const node = state.doc.nodeAt(start);
    if (!node) return false;
    const $start = state.doc.resolve(start);
    const index = $start.index();
    const parent = $start.parent;
    if (dir < 0 && index === 0 || dir > 0 && index >= parent.childCount - 1) return false;
    if (dispatch) {
      const other = parent.child(index + dir);
      let tr = state.tr.delete(start, start + node.nodeSize);
      const target = dir < 0 ? start - other.nodeSize : start + other.nodeSize;
      tr = tr.insert(target, node);
      tr.setSelection(node.isAtom ? NodeSelection.create(tr.doc, target) : TextSelection.near(tr.doc.resolve(target + 1)));
      dispatch(tr.setMeta("newsdesk-step", true).scrollIntoView());
    }
    return true;
  };
}

// New blocks go where the caret's empty top-level line is, or after the top-level block the caret (or the selected
// block) is in: never inside a list item or a quote, where most blocks cannot go.
function insertBlock(node) {
  return (state, dispatch) => {
    const sel = state.selection;
    const { $from } = sel;
    let tr = state.tr;
    const empty = !(sel instanceof NodeSelection) && $from.depth === 1 && $from.parent.type === N.paragraph && $from.parent.content.size === 0;
    let pos;
    if (empty) {
      pos = $from.before();
      tr = tr.replaceWith(pos, $from.after(), node);
    } else {
      pos = $from.depth >= 1 ? $from.after(1) : sel.to;
      tr = tr.insert(pos, node);
    }
    // The caret goes into the new block (or the block is selected, for one edited through its settings).
    if (node.isAtom) tr.setSelection(NodeSelection.create(tr.doc, pos));
    else tr.setSelection(TextSelection.near(tr.doc.resolve(pos + 1)));
    if (dispatch) dispatch(tr.setMeta("newsdesk-step", true).scrollIntoView());
    return true;
  };
}

// The document always ends in a paragraph, so the caret can get past a photo or an embed at the end.
const trailingParagraph = new Plugin({
  appendTransaction(trs, old, state) {
    const last = state.doc.lastChild;
    if (last && last.type === N.paragraph) return null;
    return state.tr.insert(state.doc.content.size, N.paragraph.create());
  },
});

// Tables: where the caret is (table, row and cell, with their positions), and rows and columns added or removed there.
function tableAt(state) {
  const { $from } = state.selection;
  for (let d = $from.depth; d > 2; d--) {
    const n = $from.node(d);
    if (n.type === N.table_cell || n.type === N.table_header) {
      return { tablePos: $from.before(d - 2), table: $from.node(d - 2), row: $from.index(d - 2), col: $from.index(d - 1) };
    }
  }
  return null;
}

// `change` gets the rows (arrays of cells) and where the caret is, and answers the new rows and the cell the caret
// goes to, or null when it cannot apply.
function editTable(change) {
  return (state, dispatch) => {
    const t = tableAt(state);
    if (!t) return false;
    const rows = [];
    t.table.forEach((r) => { const cells = []; r.forEach((c) => cells.push(c)); rows.push(cells); });
    const next = change(rows, t);
    if (!next) return false;
    if (dispatch) {
      const table = N.table.create(null, next.rows.map((cells) => N.table_row.create(null, cells)));
      const tr = state.tr.replaceWith(t.tablePos, t.tablePos + t.table.nodeSize, table);
      // The caret's cell: past the table's and the rows' opening tokens and the cells before it.
      const [r, c] = next.at;
      let pos = t.tablePos + 1;
      table.forEach((row, _o, i) => { if (i < r) pos += row.nodeSize; });
      pos += 1;
      table.child(r).forEach((cell, _o, j) => { if (j < c) pos += cell.nodeSize; });
      tr.setSelection(TextSelection.near(tr.doc.resolve(pos + 1)));
      dispatch(tr.setMeta("newsdesk-step", true).scrollIntoView());
    }
    return true;
  };
}

const addRow = editTable((rows, t) => {
  rows.splice(t.row + 1, 0, Array.from({ length: rows[t.row].length }, () => N.table_cell.create()));
  return { rows, at: [t.row + 1, t.col] };
});
const addColumn = editTable((rows, t) => ({
  rows: rows.map((cells, i) => {
    cells.splice(t.col + 1, 0, (i === 0 && cells[0].type === N.table_header ? N.table_header : N.table_cell).create());
    return cells;
  }),
  at: [t.row, t.col + 1],
}));
const removeRow = editTable((rows, t) => {
  if (rows.length < 2) return null;
  rows.splice(t.row, 1);
  return { rows, at: [Math.min(t.row, rows.length - 1), t.col] };
});
const removeColumn = editTable((rows, t) => {
  if (rows[0].length < 2) return null;
  const out = rows.map((cells) => { cells.splice(Math.min(t.col, cells.length - 1), 1); return cells; });
  return { rows: out, at: [t.row, Math.min(t.col, out[t.row].length - 1)] };
});

// Enter in an empty list item leaves the list.
function leaveEmptyItem(state, dispatch) {
  const { $from, empty } = state.selection;
  if (!empty || $from.parent.content.size !== 0 || $from.depth < 2 || $from.node(-1).type !== N.list_item) return false;
  return liftListItem(N.list_item)(state, dispatch);
}

function build(type, attrs) {
  if (type === "table") {
    const cell = (t) => t.create(null);
    const row = (t) => N.table_row.create(null, [cell(t), cell(t), cell(t)]);
    return N.table.create(null, [row(N.table_header), row(N.table_cell), row(N.table_cell)]);
  }
  const t = N[type];
  if (t.isAtom || t.isLeaf) return t.create(attrs || null);
  if (type === "callout") return t.create(attrs || null, N.paragraph.create());
  if (type === "bullet_list" || type === "ordered_list") return t.create(null, N.list_item.create(null, N.paragraph.create()));
  if (type === "blockquote") return t.create(null, N.paragraph.create());
  return t.create(attrs || null);
}

const BLOCKS = [
  ["paragraph", "Text", "p"], ["heading2", "Heading", "h2"], ["heading3", "Subheading", "h3"], ["bullet_list", "Bulleted list", "ul"],
  ["ordered_list", "Numbered list", "ol"], ["blockquote", "Quote", "quote"], ["pull_quote", "Pull quote", "pull"],
  ["image", "Image", "img"], ["gallery", "Gallery", "gallery"], ["embed", "Embed (video, audio, social post, map, document)", "embed"],
  ["callout", "Fact box", "fact"], ["table", "Table", "table"], ["code_block", "Code", "code"], ["horizontal_rule", "Divider", "hr"],
  ["related", "Related story", "related"], ["prompt", "Newsletter or donation prompt", "signup"], ["members_only", "Members only from here", "members"],
  ["html", "Raw HTML", "html"],
];

export function mount(textarea) {
  const form = textarea.form;
  const csrf = form.querySelector('input[name="csrf_token"]').value;
  const field = textarea.closest(".md-panes") || textarea.parentElement;
  const docInput = form.querySelector('input[name="document"]') || el("input", { type: "hidden", name: "document" });
  const formatInput = form.querySelector('input[name="body_format"]') || el("input", { type: "hidden", name: "body_format", value: "rich" });
  form.append(docInput, formatInput);
  const rawAllowed = form.dataset.rawHtml === "on";

  async function upload(file) {
    const data = new FormData();
    data.append("csrf_token", csrf);
    data.append("file", file);
    const r = await fetch("/admin/editor/upload", { method: "POST", body: data, credentials: "same-origin" });
    const j = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(j.message || "The upload failed.");
    return { src: j.media.src, media_id: j.media.id, width: j.media.width, height: j.media.height, alt: j.media.alt || "", caption: j.media.caption, credit: j.media.credit };
  }

  lookup = async (url) => {
    const r = await fetch("/admin/editor/embed", { method: "POST", body: JSON.stringify({ url }), credentials: "same-origin", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf } });
    const j = await r.json();
    if (!r.ok) throw new Error(j.message || "The address could not be looked up.");
    return j.embed;
  };

  async function convert(body) {
    const r = await fetch("/admin/editor/convert", { method: "POST", body: JSON.stringify(body), credentials: "same-origin", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf } });
    const j = await r.json();
    if (!r.ok) throw new Error(j.message || "Conversion failed.");
    return j;
  }

  function load(json) {
    try {
      const data = typeof json === "string" ? JSON.parse(json) : json;
      if (!data || !data.content || !data.content.length) return schema.topNodeType.createAndFill();
      return PMNode.fromJSON(schema, data);
    } catch (e) {
      return schema.topNodeType.createAndFill();
    }
  }

  // ---- The editor's frame: toolbar, surface, status line ----
  const wrap = el("div", { class: "rich-editor", role: "group", "aria-labelledby": "rich-label" });
  const label = el("p", { id: "rich-label", class: "rich-label", text: "Body" });
  const toolbar = el("div", { class: "rich-toolbar", role: "toolbar", "aria-label": "Formatting", "aria-controls": "rich-surface" });
  const surface = el("div", { class: "rich-surface article-body" });
  const stats = el("p", { class: "rich-stats", "aria-live": "polite" });
  const menu = el("div", { class: "insert-menu", role: "listbox", "aria-label": "Insert a block", hidden: true });
  wrap.append(label, toolbar, surface, menu, stats);
  field.before(wrap);
  field.hidden = true;

  function insertKind(kind) {
    return async () => {
      view.focus();
      let attrs = null;
      if (kind === "heading2" || kind === "heading3") return run(setBlockType(N.heading, { level: kind === "heading2" ? 2 : 3 }));
      if (kind === "paragraph") return run(setBlockType(N.paragraph));
      if (kind === "bullet_list" || kind === "ordered_list") {
        if (run(wrapInList(N[kind]))) return true;
      }
      if (FIELDS[kind] && N[kind].isAtom) {
        const base = { image: { size: "inline" }, gallery: { images: [] }, prompt: { kind: "newsletter" } }[kind] || {};
        attrs = await askAttrs(kind, base, upload);
        if (!attrs) { view.focus(); return false; }
      }
      const node = build(kind, attrs);
      run(insertBlock(node));
      view.focus();
      return true;
    };
  }

  function run(cmd) { return cmd(view.state, view.dispatch, view); }

  // ---- The "+" and "/" menu ----
  let slashFrom = null;
  function openMenu(fromSlash) {
    menu.textContent = "";
    const allowed = BLOCKS.filter(([k]) => k !== "html" || rawAllowed);
    allowed.forEach(([kind, text], i) => {
      const opt = el("div", { role: "option", id: "ins-" + kind, class: "insert-option", tabindex: "-1", "aria-selected": i === 0 ? "true" : "false", text });
      opt.addEventListener("mousedown", (e) => { e.preventDefault(); choose(kind); });
      menu.append(opt);
    });
    slashFrom = fromSlash ? view.state.selection.from - 1 : null;
    menu.hidden = false;
    menu.querySelector('[role="option"]').focus();
  }
  function closeMenu() { menu.hidden = true; slashFrom = null; }
  function choose(kind) {
    if (slashFrom !== null) {
      const { from } = view.state.selection;
      view.dispatch(view.state.tr.delete(slashFrom, from));
    }
    closeMenu();
    insertKind(kind)();
  }
  menu.addEventListener("keydown", (e) => {
    const opts = [...menu.querySelectorAll('[role="option"]')];
    const i = opts.indexOf(document.activeElement);
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const next = opts[(i + (e.key === "ArrowDown" ? 1 : opts.length - 1)) % opts.length];
      opts.forEach((o) => o.setAttribute("aria-selected", o === next ? "true" : "false"));
      next.focus();
    } else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      choose(document.activeElement.id.slice(4));
    } else if (e.key === "Escape") {
      e.preventDefault(); closeMenu(); view.focus();
    } else if (e.key.length === 1) {
      const hit = opts.find((o) => o.textContent.toLowerCase().startsWith(e.key.toLowerCase()));
      if (hit) hit.focus();
    }
  });

  // ---- Toolbar ----
  function button(text, title, onClick, mark) {
    const b = el("button", { type: "button", class: "tb", title, "aria-label": title, text });
    if (mark) b.setAttribute("aria-pressed", "false");
    b.addEventListener("mousedown", (e) => e.preventDefault());
    b.addEventListener("click", () => { onClick(); view.focus(); });
    b.dataset.mark = mark || "";
    toolbar.append(b);
    return b;
  }
  async function editLink() {
    const { from, to, empty } = view.state.selection;
    const existing = M.link.isInSet(view.state.doc.resolve(from).marks());
    const attrs = await askAttrs("link", existing ? existing.attrs : { href: "" }, upload);
    view.focus();
    if (!attrs) return;
    let tr = view.state.tr.removeMark(from, to, M.link);
    if (attrs.href) {
      if (empty) tr = tr.insertText(attrs.href, from).addMark(from, from + attrs.href.length, M.link.create(attrs));
      else tr = tr.addMark(from, to, M.link.create(attrs));
    }
    view.dispatch(tr);
  }
  async function editBlock() {
    const sel = view.state.selection;
    let node = sel instanceof NodeSelection ? sel.node : null, pos = sel instanceof NodeSelection ? sel.from : null;
    if (!node) {
      for (let d = sel.$from.depth; d > 0; d--) {
        const n = sel.$from.node(d);
        if (FIELDS[n.type.name]) { node = n; pos = sel.$from.before(d); break; }
      }
    }
    if (!node || !FIELDS[node.type.name]) return false;
    const attrs = await askAttrs(node.type.name, node.attrs, upload);
    view.focus();
    if (attrs) view.dispatch(view.state.tr.setNodeMarkup(pos, null, attrs).setMeta("newsdesk-step", true));
    return true;
  }
  button("+", "Insert a block (or type / in an empty line)", () => openMenu(false));
  const markButtons = [
    button("B", "Bold (Ctrl+B)", () => run(toggleMark(M.bold)), "bold"),
    button("I", "Italic (Ctrl+I)", () => run(toggleMark(M.italic)), "italic"),
    button("S", "Strikethrough (Ctrl+Shift+X)", () => run(toggleMark(M.strike)), "strike"),
    button("x²", "Superscript (Ctrl+.)", () => run(toggleMark(M.superscript)), "superscript"),
    button("</>", "Inline code (Ctrl+E)", () => run(toggleMark(M.code)), "code"),
    button("Link", "Link (Ctrl+K)", editLink, "link"),
  ];
  button("H2", "Heading", () => run(setBlockType(N.heading, { level: 2 })));
  button("¶", "Text", () => run(setBlockType(N.paragraph)));
  button("Edit block", "Edit the selected block's settings (Enter on a selected block)", editBlock);
  const tableButtons = [
    button("Row +", "Add a table row below", () => run(addRow)),
    button("Col +", "Add a table column to the right", () => run(addColumn)),
    button("Row −", "Remove this table row", () => run(removeRow)),
    button("Col −", "Remove this table column", () => run(removeColumn)),
  ];
  button("↑", "Move block up (Alt+Up)", () => run(moveBlock(-1)));
  button("↓", "Move block down (Alt+Down)", () => run(moveBlock(1)));
  button("Undo", "Undo (Ctrl+Z)", () => run(undo));
  button("Redo", "Redo (Ctrl+Shift+Z)", () => run(redo));
  const mdButton = button("Markdown", "Switch to Markdown", toggleMarkdown);
  mdButton.setAttribute("aria-pressed", "false");
  const fsButton = button("Full screen", "Full screen (Esc leaves it)", () => toggleFullscreen());
  fsButton.setAttribute("aria-pressed", "false");

  function toggleFullscreen(force) {
    const on = force !== undefined ? force : !form.classList.contains("editor-fullscreen");
    form.classList.toggle("editor-fullscreen", on);
    fsButton.setAttribute("aria-pressed", on ? "true" : "false");
  }
  async function toggleMarkdown() {
    const toMd = formatInput.value !== "markdown";
    try {
      if (toMd) {
        const j = await convert({ to: "markdown", document: view.state.doc.toJSON() });
        textarea.value = j.markdown;
        formatInput.value = "markdown";
        field.hidden = false; surface.hidden = true;
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
        textarea.focus();
      } else {
        const j = await convert({ to: "document", markdown: textarea.value });
        view.updateState(EditorState.create({ doc: load(j.document), plugins: view.state.plugins }));
        formatInput.value = "rich";
        field.hidden = true; surface.hidden = false;
        sync();
        view.focus();
      }
      mdButton.setAttribute("aria-pressed", toMd ? "true" : "false");
      mdButton.textContent = toMd ? "Rich text" : "Markdown";
    } catch (e) { stats.textContent = e.message; }
  }

  // ---- Input rules and keys ----
  const rules = inputRules({ rules: [
    ...smartQuotes, ellipsis, emDash,
    wrappingInputRule(/^\s*>\s$/, N.blockquote),
    wrappingInputRule(/^\s*([-+*])\s$/, N.bullet_list),
    wrappingInputRule(/^(\d+)\.\s$/, N.ordered_list, (m) => ({ start: +m[1] }), (m, n) => n.childCount + n.attrs.start === +m[1]),
    textblockTypeInputRule(/^```$/, N.code_block),
    textblockTypeInputRule(/^(#{1,6})\s$/, N.heading, (m) => ({ level: m[1].length })),
    new InputRule(/^---$/, (state, match, start, end) => state.tr.replaceWith(start - 1, end, N.horizontal_rule.create())),
  ] });
  const keys = keymap({
    "Mod-z": undo, "Mod-y": redo, "Shift-Mod-z": redo,
    "Mod-b": toggleMark(M.bold), "Mod-i": toggleMark(M.italic), "Mod-e": toggleMark(M.code),
    "Shift-Mod-x": toggleMark(M.strike), "Mod-.": toggleMark(M.superscript), "Mod-,": toggleMark(M.subscript),
    "Mod-k": () => { editLink(); return true; },
    "Shift-Enter": chainCommands(exitCode, (state, dispatch) => { if (dispatch) dispatch(state.tr.replaceSelectionWith(N.hard_break.create()).scrollIntoView()); return true; }),
    "Enter": chainCommands(
      (state) => state.selection instanceof NodeSelection && FIELDS[state.selection.node.type.name] ? (editBlock(), true) : false,
      leaveEmptyItem,
      splitListItem(N.list_item),
    ),
    "Mod-[": liftListItem(N.list_item), "Mod-]": sinkListItem(N.list_item),
    "Alt-ArrowUp": moveBlock(-1), "Alt-ArrowDown": moveBlock(1),
    "Escape": () => { if (form.classList.contains("editor-fullscreen")) { toggleFullscreen(false); return true; } return false; },
    "Mod-Alt-2": setBlockType(N.heading, { level: 2 }), "Mod-Alt-0": setBlockType(N.paragraph), "Mod-Shift-9": wrapIn(N.blockquote),
  });

  function sync() {
    const json = view.state.doc.toJSON();
    json.version = 1;
    docInput.value = JSON.stringify(json);
    const text = view.state.doc.textBetween(0, view.state.doc.content.size, " ", " ");
    const words = (text.match(/\S+/g) || []).length;
    const noAlt = [];
    view.state.doc.descendants((n) => {
      if (n.type === N.image && !n.attrs.alt) noAlt.push(n);
      if (n.type === N.gallery) n.attrs.images.forEach((f) => { if (!f.alt) noAlt.push(f); });
    });
    stats.textContent = `${words.toLocaleString()} words · ${Math.max(1, Math.ceil(words / 230))} min read` + (noAlt.length ? ` · ${noAlt.length} image${noAlt.length > 1 ? "s" : ""} without alt text` : "");
    form.dataset.missingAlt = String(noAlt.length);
    const inTable = !!tableAt(view.state);
    for (const b of tableButtons) { b.disabled = !inTable; b.hidden = !inTable; }
    for (const b of markButtons) {
      const m = M[b.dataset.mark];
      const { from, $from, to, empty } = view.state.selection;
      const on = empty ? !!m.isInSet(view.state.storedMarks || $from.marks()) : view.state.doc.rangeHasMark(from, to, m);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    }
  }

  const initial = docInput.value || form.dataset.document || "";
  const view = new EditorView(surface, {
    state: EditorState.create({ doc: load(initial), plugins: [rules, keys, keymap(baseKeymap), history(), dropCursor(), gapCursor(), trailingParagraph] }),
    attributes: { id: "rich-surface", role: "textbox", "aria-multiline": "true", "aria-labelledby": "rich-label", "aria-describedby": "rich-help", class: "rich-text", spellcheck: "true" },
    transformPastedHTML: cleanPastedHTML,
    handleDOMEvents: {
      drop(view, event) { return dropFiles(event.dataTransfer && event.dataTransfer.files, view.posAtCoords({ left: event.clientX, top: event.clientY }), event); },
    },
    handlePaste(view, event) {
      const data = event.clipboardData;
      if (dropFiles(data && data.files, null, event)) return true;
      const html = data && data.getData("text/html");
      // HTML from outside (Docs, Word, a web page) is read on the server, by the same sanitiser and reader as
      // imports; a copy from this editor (ProseMirror marks it) pastes as it is.
      if (!html || html.includes("data-pm-slice")) return false;
      event.preventDefault();
      const text = data.getData("text/plain");
      const at = view.state.selection;
      convert({ to: "document", html: cleanPastedHTML(html) })
        .then((j) => {
          const doc = PMNode.fromJSON(schema, j.document);
          if (!doc.content.size) return;
          const tr = view.state.tr;
          if (view.state.selection.eq(at)) tr.replaceSelection(Slice.maxOpen(doc.content));
          else tr.insert(view.state.selection.from, doc.content);
          view.dispatch(tr.setMeta("uiEvent", "paste").scrollIntoView());
        })
        .catch((e) => {
          stats.textContent = `The paste could not be read as formatted text (${e.message}); pasted as plain text.`;
          if (text) view.dispatch(view.state.tr.insertText(text).setMeta("uiEvent", "paste"));
        });
      return true;
    },
    handleTextInput(view, from, to, text) {
      if (text === "/" && view.state.selection.$from.parent.content.size === 0) {
        setTimeout(() => openMenu(true), 0);
      }
      return false;
    },
    dispatchTransaction(tr) {
      // A drop, a paste, an inserted or moved block and a block's new settings are each their own undo step.
      if (["drop", "paste"].includes(tr.getMeta("uiEvent")) || tr.getMeta("newsdesk-step")) closeHistory(tr);
      view.updateState(view.state.apply(tr));
      if (tr.docChanged) { sync(); docInput.dispatchEvent(new Event("input", { bubbles: true })); }
      else sync();
    },
  });
  wrap.append(el("p", { id: "rich-help", class: "hint", text: "Type ## for a heading, * for a list, > for a quote, / or + to insert a photo, gallery, embed, pull quote and more. Select a block and press Enter to edit it; Alt+Up and Alt+Down move it." }));

  // ---- The feature image from the library ----
  const featureFile = form.querySelector("#f-feature_image");
  if (featureFile) {
    const choose = el("button", { type: "button", text: "Choose from the media library" });
    featureFile.closest(".field").after(choose);
    choose.addEventListener("click", async () => {
      const f = await askAttrs("feature", {}, upload);
      if (!f || !f.media_id) return;
      let id = form.querySelector('input[name="feature_image_id"]');
      if (!id) { id = el("input", { type: "hidden", name: "feature_image_id" }); form.append(id); }
      id.value = String(f.media_id);
      featureFile.value = "";
      const remove = form.querySelector("#f-remove_image");
      if (remove) remove.checked = false;
      for (const [name, value] of [["alt", f.alt], ["caption", f.caption], ["credit", f.credit]]) {
        const input = form.querySelector(`#f-feature_image_${name}`);
        if (input && !input.value && value) input.value = value;
      }
      let thumb = form.querySelector("img.thumb");
      if (!thumb) { thumb = el("img", { class: "thumb", alt: "Current feature image" }); choose.before(thumb); }
      thumb.src = f.src;
      id.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  // ---- Drag to reorder: a handle beside the block under the pointer ----
  const handle = el("div", { class: "drag-handle", draggable: "true", "aria-hidden": "true", title: "Drag to move this block (or Alt+Up / Alt+Down)", text: "⠿" });
  wrap.append(handle);
  let handlePos = null;
  surface.addEventListener("mousemove", (e) => {
    const found = view.posAtCoords({ left: e.clientX, top: e.clientY });
    if (!found) return;
    const $pos = view.state.doc.resolve(found.inside >= 0 ? found.inside : found.pos);
    const pos = $pos.depth >= 1 ? $pos.before(1) : found.inside >= 0 ? found.inside : null;
    if (pos === null || !view.state.doc.nodeAt(pos)) return;
    const dom = view.nodeDOM(pos);
    if (!(dom instanceof HTMLElement)) return;
    handlePos = pos;
    const box = dom.getBoundingClientRect(), outer = wrap.getBoundingClientRect();
    handle.style.top = `${box.top - outer.top}px`;
    handle.style.display = "block";
  });
  handle.addEventListener("dragstart", (e) => {
    if (handlePos === null) return;
    const sel = NodeSelection.create(view.state.doc, handlePos);
    view.dispatch(view.state.tr.setSelection(sel));
    const slice = sel.content();
    if (view.serializeForClipboard) {
      const { dom, text } = view.serializeForClipboard(slice);
      e.dataTransfer.setData("text/html", dom.innerHTML);
      e.dataTransfer.setData("text/plain", text);
    }
    e.dataTransfer.effectAllowed = "move";
    const dom = view.nodeDOM(handlePos);
    if (dom instanceof HTMLElement) e.dataTransfer.setDragImage(dom, 0, 0);
    view.dragging = { slice, move: true };
  });

  function dropFiles(files, at, event) {
    const images = [...(files || [])].filter((f) => f.type.startsWith("image/"));
    if (!images.length) return false;
    event.preventDefault();
    (async () => {
      for (const f of images) {
        stats.textContent = `Uploading ${f.name}…`;
        try {
          const attrs = await upload(f);
          const node = N.image.create({ ...attrs, size: "inline", alt: attrs.alt || "" });
          const pos = at ? at.pos : view.state.selection.from;
          const $pos = view.state.doc.resolve(pos);
          const insertAt = $pos.depth >= 1 ? $pos.after(1) : pos;
          const tr = view.state.tr.insert(insertAt, node);
          tr.setSelection(NodeSelection.create(tr.doc, insertAt));
          view.dispatch(tr);
          await editBlock();
        } catch (e) { stats.textContent = `${f.name}: ${e.message}`; }
      }
    })();
    return true;
  }

  form.addEventListener("submit", (e) => {
    const missing = +(form.dataset.missingAlt || 0);
    if (formatInput.value !== "markdown") sync();
    if (missing && e.submitter && e.submitter.value === "publish" && !window.confirm(`${missing} image(s) have no alt text. People who cannot see them will not know what they show. Publish anyway?`)) {
      e.preventDefault();
    }
  });
  sync();
  return view;
}

const textarea = document.getElementById("f-body");
if (textarea && textarea.form && textarea.form.getAttribute("id") === "editor") {
  window.newsdeskEditor = mount(textarea);
}

