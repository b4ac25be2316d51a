extension DashboardAssets {
    /// `/`: the page's skeleton; every value in it arrives with the first event.
    static let page = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Troupe dashboard</title>
    <link rel="stylesheet" href="dashboard.css">
    <script src="dashboard.js" defer></script>
    </head>
    <body data-updates="0">
    <header>
      <h1>Troupe</h1>
      <span id="endpoint" class="endpoint">connecting…</span>
      <span id="phase" class="badge">—</span>
      <span id="security" class="badge">—</span>
      <span id="live" class="live" title="updated by server-sent events">waiting for the first update</span>
    </header>
    <main>
      <section class="cards" aria-label="summary">
        <div class="card"><div class="label">workers</div><div class="value" id="summary-workers">—</div><div class="note" id="summary-busy"></div></div>
        <div class="card"><div class="label">hosts</div><div class="value" id="summary-hosts">—</div></div>
        <div class="card"><div class="label">tasks / s</div><div class="value" id="summary-tps">—</div><div class="note">last 10 s</div></div>
        <div class="card"><div class="label">queued</div><div class="value" id="summary-queued">—</div></div>
        <div class="card"><div class="label">running</div><div class="value" id="summary-running">—</div></div>
        <div class="card"><div class="label">completed</div><div class="value" id="summary-completed">—</div></div>
        <div class="card"><div class="label">failed</div><div class="value" id="summary-failed">—</div></div>
        <div class="card"><div class="label">workers lost</div><div class="value" id="summary-lost">—</div></div>
        <div class="card"><div class="label">refused connections</div><div class="value" id="summary-refused">—</div></div>
        <div class="card"><div class="label">rejected messages</div><div class="value" id="summary-rejected">—</div></div>
      </section>
      <section class="charts">
        <figure>
          <figcaption>Tasks per second, last 5 minutes</figcaption>
          <svg id="chart-tasks" viewBox="0 0 600 130" role="img" aria-label="tasks per second"></svg>
        </figure>
        <figure>
          <figcaption>Failures by kind, last 5 minutes</figcaption>
          <svg id="chart-failures" viewBox="0 0 600 130" role="img" aria-label="failures by kind"></svg>
          <div id="failure-legend" class="legend"></div>
        </figure>
      </section>
      <section>
        <h2>Nodes</h2>
        <table>
          <thead><tr><th>host</th><th class="n">workers</th><th class="n">busy</th><th class="n">tasks done</th><th class="n">restarts</th><th class="n">RSS</th></tr></thead>
          <tbody id="node-rows"></tbody>
        </table>
      </section>
      <section>
        <h2>Worker processes</h2>
        <table>
          <thead><tr><th>host</th><th class="n">pid</th><th>state</th><th class="n">tasks done</th><th class="n">restarts</th><th>last exit</th><th class="n">RSS</th><th class="n">last heard</th><th>node</th></tr></thead>
          <tbody id="worker-rows"></tbody>
        </table>
      </section>
      <section class="pair">
        <div>
          <h2>Shared state</h2>
          <table>
            <thead><tr><th>container</th><th>kind</th><th class="n">size</th></tr></thead>
            <tbody id="container-rows"></tbody>
          </table>
        </div>
        <div>
          <h2>Queue and security</h2>
          <table>
            <tbody id="detail-rows"></tbody>
          </table>
        </div>
      </section>
    </main>
    <footer>Read-only. Updated live from <code>api/events</code>; the same JSON is at <a href="api/status">api/status</a>.</footer>
    </body>
    </html>
    """#
}
