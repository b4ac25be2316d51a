extension DashboardAssets {
    /// `/dashboard.js`: listens to `api/events` and redraws the page on each `status` event.
    static let script = #"""
    "use strict";
    (() => {
      const $ = (id) => document.getElementById(id);
      const SVG = "http://www.w3.org/2000/svg";
      const PALETTE = ["#d23f3f", "#c27c0e", "#8e44ad", "#1f8a9d", "#5d6d7e", "#e67e22", "#2e86c1", "#7d3c98"];
      let updates = 0;

      function element(tag, text, className) {
        const node = document.createElement(tag);
        if (text !== undefined && text !== null) node.textContent = String(text);
        if (className) node.className = className;
        return node;
      }

      function row(cells) {
        const tr = document.createElement("tr");
        for (const cell of cells) tr.appendChild(cell);
        return tr;
      }

      function cell(text, className) { return element("td", text, className); }
      function number(value) { return cell(value === undefined || value === null ? "—" : value, "n"); }

      function replaceRows(id, rows, emptyText, columns) {
        const body = $(id);
        body.replaceChildren(...rows);
        if (rows.length === 0) {
          const empty = cell(emptyText, "none");
          empty.colSpan = columns;
          body.appendChild(row([empty]));
        }
      }

      function bytes(value) {
        if (value === undefined || value === null) return "—";
        const mib = value / (1024 * 1024);
        return mib >= 1024 ? (mib / 1024).toFixed(2) + " GiB" : mib.toFixed(1) + " MiB";
      }

      function sum(values) { return values.reduce((a, b) => a + b, 0); }

      function svg(tag, attributes, text) {
        const node = document.createElementNS(SVG, tag);
        for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
        if (text !== undefined) node.textContent = text;
        return node;
      }

      // Bars over the last minutes: one per interval, oldest on the left; `parts` gives, for
      // an interval, its stacked values as [key, value] pairs.
      function drawBars(chart, intervals, parts, colour, emptyText) {
        const width = 600, height = 130, left = 34, bottom = 18, top = 8;
        const plotHeight = height - bottom - top;
        const totals = intervals.map((interval) => sum(parts(interval).map((p) => p[1])));
        const maximum = Math.max(0, ...totals);
        const nodes = [];
        nodes.push(svg("line", { class: "axis", x1: left, y1: height - bottom, x2: width, y2: height - bottom }));
        const step = intervals.length > 0 ? (width - left) / intervals.length : 0;
        if (maximum === 0) {
          nodes.push(svg("text", { class: "empty", x: (width + left) / 2, y: height / 2, "text-anchor": "middle" }, emptyText));
        } else {
          const top = niceMaximum(maximum);
          nodes.push(svg("text", { class: "tick", x: left - 4, y: 14, "text-anchor": "end" }, formatTick(top)));
          nodes.push(svg("line", { class: "axis", x1: left, y1: 10, x2: width, y2: 10 }));
          intervals.forEach((interval, index) => {
            let y = height - bottom;
            for (const [key, value] of parts(interval)) {
              if (value <= 0) continue;
              const h = (value / top) * plotHeight;
              y -= h;
              const bar = svg("rect", { x: left + index * step + 1, y: y, width: Math.max(1, step - 2), height: h, fill: colour(key) });
              bar.appendChild(svg("title", {}, key + ": " + formatTick(value)));
              nodes.push(bar);
            }
          });
        }
        nodes.push(svg("text", { class: "tick", x: left, y: height - 4 }, "5 min ago"));
        nodes.push(svg("text", { class: "tick", x: width, y: height - 4, "text-anchor": "end" }, "now"));
        chart.replaceChildren(...nodes);
      }

      function niceMaximum(value) {
        const power = Math.pow(10, Math.floor(Math.log10(value)));
        for (const factor of [1, 2, 5, 10]) if (value <= factor * power) return factor * power;
        return 10 * power;
      }

      function formatTick(value) { return Number.isInteger(value) ? String(value) : value.toFixed(1); }

      function render(status) {
        const workers = status.workers || [];
        const failed = status.failed || {};
        const rejected = status.rejected || {};
        const queued = sum(Object.values(status.queued || {}));
        const hosts = new Map();
        for (const worker of workers) {
          if (!hosts.has(worker.host)) hosts.set(worker.host, []);
          hosts.get(worker.host).push(worker);
        }

        $("endpoint").textContent = status.endpoint;
        $("phase").textContent = status.phase;
        $("phase").className = "badge " + status.phase;
        $("security").textContent = status.secure ? "CURVE" : "insecure";
        $("security").className = "badge " + (status.secure ? "secure" : "insecure");

        $("summary-workers").textContent = workers.length;
        $("summary-busy").textContent = workers.filter((w) => w.state === "busy").length + " busy";
        $("summary-hosts").textContent = hosts.size;
        $("summary-tps").textContent = status.tasksPerSecond === undefined ? "—" : status.tasksPerSecond.toFixed(1);
        $("summary-queued").textContent = queued;
        $("summary-running").textContent = status.running;
        $("summary-completed").textContent = status.completed;
        $("summary-failed").textContent = status.failed === undefined ? "—" : sum(Object.values(failed));
        $("summary-lost").textContent = status.workersLost;
        $("summary-refused").textContent = status.unauthorized;
        $("summary-rejected").textContent = sum(Object.values(rejected));

        const activity = status.activity || [];
        drawBars($("chart-tasks"), activity, (i) => [["tasks/s", i.completed / 10]], () => "#3563e9", "no tasks finished");
        const codes = [...new Set(activity.flatMap((i) => Object.keys(i.failed)))].sort();
        const colour = (code) => PALETTE[codes.indexOf(code) % PALETTE.length];
        drawBars($("chart-failures"), activity, (i) => codes.map((c) => [c, i.failed[c] || 0]), colour, "no failures");
        $("failure-legend").replaceChildren(...codes.map((code) => {
          const item = element("span");
          const swatch = element("span", null, "swatch");
          swatch.style.background = colour(code);
          item.appendChild(swatch);
          item.appendChild(document.createTextNode(code + " " + sum(activity.map((i) => i.failed[code] || 0))));
          return item;
        }));

        replaceRows("node-rows", [...hosts.keys()].sort().map((host) => {
          const list = hosts.get(host);
          const rss = list.map((w) => w.residentBytes).filter((b) => b !== undefined && b !== null);
          return row([cell(host), number(list.length), number(list.filter((w) => w.state === "busy").length),
                      number(sum(list.map((w) => w.tasksDone))), number(sum(list.map((w) => w.restarts || 0))),
                      number(rss.length ? bytes(sum(rss)) : "—")]);
        }), "no nodes connected", 6);

        replaceRows("worker-rows", workers.map((worker) => {
          const state = cell(null);
          state.appendChild(element("span", worker.state, "state " + worker.state));
          const tr = row([cell(worker.host), number(worker.pid || "—"), state, number(worker.tasksDone),
                          number(worker.restarts === undefined ? "—" : worker.restarts),
                          cell(worker.lastExit || "—", worker.lastExit ? "exit" : ""), number(bytes(worker.residentBytes)),
                          number((worker.lastHeardMilliseconds / 1000).toFixed(1) + " s"), cell(worker.node, "mono")]);
          tr.dataset.pid = worker.pid;
          return tr;
        }), "no worker processes", 9);

        replaceRows("container-rows", (status.containers || []).map((c) => row([cell(c.name), cell(c.kind), number(c.count)])),
                    status.containers === undefined ? "not reported" : "no shared containers", 3);

        const details = [];
        for (const [service, count] of Object.entries(status.queued || {}).sort()) details.push(["queued: " + service, count]);
        details.push(["clients", status.clients]);
        details.push(["refused connections", status.unauthorized]);
        for (const [code, count] of Object.entries(rejected).sort()) details.push(["rejected: " + code, count]);
        for (const [code, count] of Object.entries(failed).sort()) details.push(["failed: " + code, count]);
        replaceRows("detail-rows", details.map(([name, value]) => row([cell(name), number(value)])), "", 2);
      }

      function setLive(on, text) {
        const live = $("live");
        live.className = "live " + (on ? "on" : "off");
        live.textContent = text;
      }

      const source = new EventSource("api/events");
      source.addEventListener("status", (event) => {
        const status = JSON.parse(event.data);
        render(status);
        updates += 1;
        document.body.dataset.updates = String(updates);
        document.body.dataset.sequence = event.lastEventId;
        setLive(true, "live · " + new Date().toLocaleTimeString());
      });
      source.addEventListener("error", () => setLive(false, "disconnected · retrying"));
    })();
    """#
}
