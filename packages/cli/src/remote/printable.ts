/**
 * Text a deployment sent, made safe to print: control characters (terminal escape sequences among them)
 * become spaces, runs of space one, and it is cut at `max` characters.
 */
export function printable(text: string, max = 500): string {
  const line = text.replace(/[\p{Cc}\s]+/gu, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
