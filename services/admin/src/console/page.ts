/**
 * The console's one HTML page: a shell the entry module fills in. It holds
 * no data, so there is nothing to escape; the asset base is a fixed path
 * plus a hex version. No inline script or style and no event attributes:
 * the Content-Security-Policy allows neither.
 */
export interface PageAssets {
  /** `/admin/assets/<version>`: every URL below starts with it. */
  base: string;
  /** Every module the entry imports, preloaded so the browser fetches them at once instead of one import level at a time. */
  modules: readonly string[];
}

export function renderPage({ base, modules }: PageAssets): string {
  const preloads = modules.map((name) => `    <link rel="modulepreload" href="${base}/${name}">`).join('\n');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="referrer" content="no-referrer">
    <title>regcloud staff console</title>
    <link rel="icon" type="image/svg+xml" href="${base}/logo.svg">
    <link rel="stylesheet" href="${base}/console.css">
${preloads}
    <script type="module" src="${base}/app.mjs"></script>
  </head>
  <body>
    <header class="topbar">
      <a class="brand" href="#/accounts">
        <img src="${base}/logo.svg" alt="" width="28" height="28">
        <span class="brand-name">regcloud</span>
        <span class="brand-sub">staff console</span>
      </a>
      <nav class="topnav" id="topnav" aria-label="Main"></nav>
      <div class="who" id="who"></div>
    </header>
    <main class="main" id="main" tabindex="-1">
      <p class="loading">Loading the console…</p>
      <noscript><p class="alert">The staff console needs JavaScript. Use the staff command line or the JSON API without it.</p></noscript>
    </main>
  </body>
</html>
`;
}
