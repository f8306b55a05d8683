/**
 * Atlassian Document Format (ADF), the JSON tree Jira's REST API v3 uses for rich text, to and from the
 * plain text the factory works with. Only what a work item description or a comment needs: block nodes
 * become lines, inline nodes their text; unknown nodes fall back to their children, so a new node type
 * loses formatting, never words.
 */
export interface AdfNode {
  type: string;
  text?: string;
  content?: AdfNode[];
  attrs?: Record<string, unknown>;
  marks?: { type: string; attrs?: Record<string, unknown> }[];
}

const BLOCKS = new Set([
  'paragraph',
  'heading',
  'blockquote',
  'codeBlock',
  'panel',
  'rule',
  'mediaSingle',
  'mediaGroup',
  'table',
  'tableRow',
  'expand',
  'nestedExpand',
  'decisionList',
  'taskList',
]);

export function isAdfDocument(value: unknown): value is AdfNode {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'doc';
}

/** Plain text of an ADF tree: paragraphs on their own lines, list items as `- `, task items as `- [ ]`. */
export function adfToText(node: AdfNode): string {
  return render(node, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function render(node: AdfNode, indent: string): string {
  const children = (node.content ?? []).map((child) => render(child, indent)).join('');
  switch (node.type) {
    case 'text':
      return node.text ?? '';
    case 'hardBreak':
      return '\n';
    case 'mention':
    case 'emoji':
      return String(node.attrs?.text ?? node.attrs?.shortName ?? '');
    case 'inlineCard':
    case 'blockCard':
      return String(node.attrs?.url ?? '');
    case 'bulletList':
    case 'orderedList':
      return `${(node.content ?? []).map((item, index) => listItem(item, node.type === 'orderedList' ? `${index + 1}. ` : '- ', indent)).join('')}\n`;
    case 'taskItem':
      return `${indent}- [${node.attrs?.state === 'DONE' ? 'x' : ' '}] ${children.trim()}\n`;
    case 'tableCell':
    case 'tableHeader':
      return `${children.trim()}\t`;
    default:
      return BLOCKS.has(node.type) ? `${children.trimEnd()}\n\n` : children;
  }
}

function listItem(item: AdfNode, bullet: string, indent: string): string {
  const parts = (item.content ?? []).map((child) =>
    child.type === 'bulletList' || child.type === 'orderedList'
      ? render(child, `${indent}  `)
      : render(child, indent).trim(),
  );
  const [first = '', ...rest] = parts;
  return `${indent}${bullet}${first}\n${rest.map((part) => (part.endsWith('\n') ? part : `${part}\n`)).join('')}`;
}

const URL_PATTERN = /https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"]/g;

/**
 * A plain-text message as an ADF document: blank lines separate paragraphs, `> ` lines become a quote,
 * single newlines become hard breaks and URLs become links (Jira does not link bare URLs in ADF text).
 */
export function textToAdf(text: string): AdfNode {
  const blocks = text
    .replace(/\r\n/g, '\n')
    .split(/\n{2,}/)
    .map((block) => block.trim())
    .filter(Boolean);
  return {
    type: 'doc',
    version: 1,
    content: blocks.map((block) => {
      const lines = block.split('\n');
      if (lines.every((line) => line.startsWith('>'))) {
        const quoted = lines.map((line) => line.replace(/^>\s?/, '')).join('\n');
        return { type: 'blockquote', content: [paragraph(quoted)] };
      }
      return paragraph(block);
    }),
  } as AdfNode;
}

function paragraph(text: string): AdfNode {
  const content: AdfNode[] = [];
  text.split('\n').forEach((line, index) => {
    if (index > 0) content.push({ type: 'hardBreak' });
    content.push(...linked(line));
  });
  return { type: 'paragraph', content };
}

function linked(line: string): AdfNode[] {
  const nodes: AdfNode[] = [];
  let last = 0;
  for (const match of line.matchAll(URL_PATTERN)) {
    const at = match.index ?? 0;
    if (at > last) nodes.push({ type: 'text', text: line.slice(last, at) });
    nodes.push({ type: 'text', text: match[0], marks: [{ type: 'link', attrs: { href: match[0] } }] });
    last = at + match[0].length;
  }
  if (last < line.length) nodes.push({ type: 'text', text: line.slice(last) });
  return nodes;
}
