/** Web mode opened without its access token (e.g. a bookmark, or a new tab). */
export function NoToken() {
  return (
    <main className="no-token">
      <h1>Open the app from the link the host printed</h1>
      <p role="alert">This page needs an access token, and it did not get one.</p>
      <p>
        Start the app with <code>npm start</code> or <code>npm run web</code>. It prints a URL like{' '}
        <code>http://127.0.0.1:5174/#token=…</code>. Open that exact URL, in this browser, on this computer.
      </p>
      <p>The token is kept for this tab only, so reloading works; a new tab or window needs the printed URL again.</p>
    </main>
  );
}
