/**
 * The HTML the sandboxes' hosted pages share: escaping (every value rendered is merchant or
 * customer input) and one page layout — plain HTML forms, no scripts, nothing loaded from anywhere
 * (the servers send a CSP that forbids it) — in each gateway's own colours.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface HostedPageLook {
  /** The badge's gateway name: "PlutoPay sandbox · test mode". */
  gateway: string;
  /** The page's background and the text and buttons' colour. */
  background: string;
  ink: string;
  /** Rules one gateway's page adds (PayPlug's card expiry row and save-card checkbox). */
  extraStyle?: string;
}

function style(look: HostedPageLook): string {
  return `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:${look.background};color:${look.ink};margin:0}
main{max-width:26rem;margin:3rem auto;background:#fff;border-radius:12px;padding:2rem;box-shadow:0 1px 4px #0002}
.badge{display:inline-block;background:#fff3cd;color:#664d03;border-radius:6px;padding:.2rem .6rem;font-size:.8rem;font-weight:600}
.amount{font-size:2rem;font-weight:700;margin:.5rem 0 1.5rem}
label{display:block;font-weight:600;margin:.8rem 0 .3rem}
input{width:100%;box-sizing:border-box;font-size:1rem;padding:.7rem;border:1.5px solid #cfd7df;border-radius:8px}
button{width:100%;min-height:48px;margin-top:1.2rem;font-size:1rem;font-weight:600;border:0;border-radius:8px;background:${look.ink};color:#fff;cursor:pointer}
button.secondary{background:transparent;color:${look.ink};border:1.5px solid #cfd7df}
.error{background:#f8d7da;color:#58151c;border-radius:8px;padding:.7rem}
details{margin-top:1.5rem;font-size:.9rem}code{font-size:.85rem}${look.extraStyle ?? ''}`;
}

/** A whole hosted page: `content` is HTML already escaped by its caller. */
export function hostedPage(look: HostedPageLook, live: boolean, title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${style(look)}</style></head>
<body><main>
<p class="badge">${escapeHtml(look.gateway)} sandbox · ${live ? 'live mode (emulated: test cards are declined)' : 'test mode'}</p>
${content}
</main></body></html>`;
}

/** A page that only says something (paid, cancelled, not found). */
export function messageContent(title: string, message: string): string {
  return `<h1>${escapeHtml(title)}</h1><p role="status">${escapeHtml(message)}</p>`;
}

/**
 * The title of the page a browser gets when the sandbox fails on a hosted page (a commit that failed,
 * an internal error): the message under it is the error's, which says whether to send it again.
 */
export const FAILURE_TITLE = 'The sandbox could not do this';
