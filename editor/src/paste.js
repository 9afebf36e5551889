// Cleans HTML pasted from Word and Google Docs before ProseMirror reads it: Word's conditional comments, style
// blocks and Office namespaces go, and Word's paragraphs that only look like list items become real list items.
// (Docs' wrapping `<b style="font-weight:normal">` and its styled spans are read by the schema's parse rules.)
export function cleanPastedHTML(html) {
  let h = html
    .replace(/<!--\[if[\s\S]*?<!\[endif\]-->/gi, "")
    .replace(/<style[\s\S]*?<\/style>/gi, "")
    .replace(/<\/?(o|w|m|v):[^>]*>/gi, "")
    .replace(/<meta[^>]*>/gi, "")
    .replace(/<link[^>]*>/gi, "");
  if (!/mso-list/i.test(h)) return h;
  const doc = new DOMParser().parseFromString(h, "text/html");
  const items = [...doc.body.querySelectorAll("p")].filter((p) => /mso-list/i.test(p.getAttribute("style") || "") || /MsoListParagraph/.test(p.className));
  let list = null;
  for (const p of items) {
    const ordered = /^\s*\d+[.)]/.test(p.textContent);
    if (!list || list.nextElementSibling !== p) {
      list = doc.createElement(ordered ? "ol" : "ul");
      p.before(list);
    }
    // Drop Word's typed bullet or number.
    p.querySelectorAll('span[style*="mso-list:Ignore"], span[style*="mso-list: Ignore"]').forEach((s) => s.remove());
    const li = doc.createElement("li");
    li.innerHTML = p.innerHTML.replace(/^\s*(?:[·•§o▪-]|\d+[.)])\s*(&nbsp;|\u00a0|\s)*/, "");
    list.append(li);
    p.remove();
  }
  return doc.body.innerHTML;
}
