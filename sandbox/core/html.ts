/** HTML escaping for the hosted pages: every value rendered is merchant or customer input. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
