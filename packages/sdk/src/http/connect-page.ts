const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/**
 * The small page a person's browser lands on after the vendor's consent screen. Plain HTML (the app's
 * content security policy allows no inline style or script); every text is escaped.
 */
export function renderConnectPage(heading: string, text: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>factory · ${escapeHtml(heading)}</title></head>
<body><h1>${escapeHtml(heading)}</h1><p>${escapeHtml(text)}</p></body></html>`;
}
