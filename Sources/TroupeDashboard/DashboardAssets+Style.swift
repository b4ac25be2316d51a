extension DashboardAssets {
    /// `/dashboard.css`.
    static let style = #"""
    :root {
      --ink: #1d2330; --muted: #677086; --line: #e3e6ee; --panel: #ffffff; --back: #f4f6fa;
      --accent: #3563e9; --good: #1f9d55; --warn: #c27c0e; --bad: #d23f3f;
      font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif;
      color: var(--ink); background: var(--back);
    }
    * { box-sizing: border-box; }
    body { margin: 0; }
    header { display: flex; align-items: center; gap: 12px; padding: 14px 24px; background: var(--ink); color: #fff; flex-wrap: wrap; }
    header h1 { margin: 0; font-size: 20px; letter-spacing: 0.5px; }
    .endpoint { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 14px; opacity: 0.9; }
    .badge { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: rgba(255,255,255,0.15); }
    .badge.running, .badge.secure { background: var(--good); }
    .badge.closing, .badge.insecure { background: var(--warn); }
    .badge.stopped, .badge.failed { background: var(--bad); }
    .live { margin-left: auto; font-size: 12px; opacity: 0.85; }
    .live::before { content: "●"; margin-right: 6px; color: var(--muted); }
    .live.on::before { color: #4ade80; }
    .live.off::before { color: var(--bad); }
    main { padding: 18px 24px; display: grid; gap: 18px; }
    .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(108px, 1fr)); gap: 10px; }
    .card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
    .card .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.4px; }
    .card .value { font-size: 26px; font-weight: 600; margin-top: 2px; font-variant-numeric: tabular-nums; }
    .card .note { font-size: 11px; color: var(--muted); min-height: 14px; }
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 12px; }
    figure { margin: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
    figcaption { font-size: 13px; color: var(--muted); margin-bottom: 4px; }
    svg { width: 100%; height: auto; display: block; }
    svg .axis { stroke: var(--line); stroke-width: 1; }
    svg .tick { fill: var(--muted); font-size: 10px; }
    svg .bar { fill: var(--accent); }
    svg .empty { fill: var(--muted); font-size: 12px; }
    .legend { display: flex; gap: 12px; flex-wrap: wrap; font-size: 12px; color: var(--muted); min-height: 16px; }
    .legend .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
    h2 { font-size: 15px; margin: 0 0 8px; }
    section > table, .pair table { width: 100%; }
    table { border-collapse: collapse; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; font-size: 13px; }
    th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); }
    th { font-weight: 600; color: var(--muted); font-size: 12px; background: #fafbfd; }
    td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
    td.mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 12px; color: var(--muted); }
    tr:last-child td { border-bottom: none; }
    td.none { color: var(--muted); font-style: italic; }
    .state { padding: 1px 8px; border-radius: 9px; font-size: 12px; background: var(--line); }
    .state.busy { background: #dbe6ff; color: #1d3fa8; }
    .state.idle { background: #dcf3e5; color: #17683a; }
    .state.starting, .state.draining, .state.retiring, .state.stopping { background: #fbefd5; color: #7a4e07; }
    .state.exited { background: #f9dcdc; color: #8d2020; }
    .exit { color: var(--bad); }
    .pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 18px; }
    footer { padding: 0 24px 18px; font-size: 12px; color: var(--muted); }
    footer a { color: var(--accent); }
    """#
}
