// Renders a message as DOM nodes: text, line breaks, **bold** and links (http, https, mailto,
// tel, or [label](url) with those schemes). Bold needs text right inside the stars, so a masked
// IBAN ("DE89 **** **** …") stays as it is. Everything else stays text: no HTML from the
// assistant or the citizen is ever interpreted, since nothing here touches innerHTML.
const TOKEN =
  /\[([^\]\n]{1,200})\]\(((?:https?:\/\/|mailto:|tel:)[^\s)]+)\)|\*\*([^*\s](?:[^*\n]{0,398}[^*\s])?)\*\*|((?:https?:\/\/)[^\s<>"]+[^\s<>".,;:!?)\]])/g;

function link(label, href) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = label;
  if (/^https?:/.test(href)) {
    a.target = "_blank";
    a.rel = "noopener noreferrer";
  }
  return a;
}

function appendLine(parent, line) {
  let last = 0;
  for (const match of line.matchAll(TOKEN)) {
    parent.append(line.slice(last, match.index));
    if (match[1]) parent.append(link(match[1], match[2]));
    else if (match[3]) {
      const strong = document.createElement("strong");
      strong.textContent = match[3];
      parent.append(strong);
    } else parent.append(link(match[4], match[4]));
    last = match.index + match[0].length;
  }
  parent.append(line.slice(last));
}

export function renderText(parent, text) {
  String(text || "")
    .split("\n")
    .forEach((line, index) => {
      if (index > 0) parent.append(document.createElement("br"));
      appendLine(parent, line);
    });
}
