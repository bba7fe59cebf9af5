/* zarr-benchmarks dashboard: a filterable table and SVG charts drawn with plain JS.
 * No external libraries or assets: everything comes from this service. Data values
 * are only ever inserted as text (textContent / SVG text nodes), never as HTML. */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a",
    "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"];
  var SHAPES = ["circle", "square", "triangle", "diamond"];
  var FILTERS = ["modality", "codec", "chunks", "machine", "preset"];

  var root = document.getElementById("dashboard");
  /* rows: the newest rows (always loaded); allRows: every run, fetched when asked. */
  var state = { data: null, allRows: null, codecColour: {}, machineShape: {} };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function fmt(v, digits) {
    if (v === null || v === undefined || !isFinite(v)) return "—";
    return Number(v).toLocaleString("en-US", {
      minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  function fmtCompact(v) {
    if (!isFinite(v)) return "";
    if (Math.abs(v) >= 1000) return fmt(v, 0);
    return Number(v.toPrecision(3)).toString();
  }

  function distinct(rows, key) {
    var seen = {};
    rows.forEach(function (r) { if (r[key] !== null && r[key] !== undefined) seen[r[key]] = 1; });
    return Object.keys(seen).sort();
  }

  function median(values) {
    var v = values.filter(function (x) { return x !== null && isFinite(x); })
      .sort(function (a, b) { return a - b; });
    if (!v.length) return null;
    var m = Math.floor(v.length / 2);
    return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
  }

  /* Pareto front maximising x and y: indices sorted by x (same rule as the report). */
  function paretoFront(points) {
    var idx = points.map(function (p, i) { return i; })
      .filter(function (i) { return isFinite(points[i].x) && isFinite(points[i].y); });
    idx.sort(function (a, b) {
      return (points[b].x - points[a].x) || (points[b].y - points[a].y);
    });
    var front = [], bestY = -Infinity, i = 0;
    while (i < idx.length) {
      var x = points[idx[i]].x, j = i, topY = points[idx[i]].y;
      while (j < idx.length && points[idx[j]].x === x) j++;
      if (topY > bestY) {
        for (var k = i; k < j; k++) if (points[idx[k]].y === topY) front.push(idx[k]);
        bestY = topY;
      }
      i = j;
    }
    return front.sort(function (a, b) { return points[a].x - points[b].x; });
  }

  function niceTicks(max, count) {
    if (!(max > 0)) return [0, 1];
    var step = Math.pow(10, Math.floor(Math.log10(max / count)));
    var err = max / count / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var ticks = [];
    for (var t = 0; t <= max * 1.0001 + step; t += step) {
      ticks.push(Number(t.toPrecision(12)));
      if (t >= max) break;
    }
    return ticks;
  }

  function emptyChart(container, message) {
    container.textContent = "";
    container.appendChild(el("p", { "class": "empty" }, message));
  }

  function marker(shape, x, y, r, attrs) {
    var node;
    if (shape === "square") {
      node = svg("rect", { x: x - r, y: y - r, width: 2 * r, height: 2 * r });
    } else if (shape === "triangle") {
      node = svg("polygon", { points: [x, y - r * 1.2, x - r * 1.1, y + r * 0.8,
        x + r * 1.1, y + r * 0.8].join(",") });
    } else if (shape === "diamond") {
      node = svg("polygon", { points: [x, y - r * 1.3, x + r * 1.3, y, x, y + r * 1.3,
        x - r * 1.3, y].join(",") });
    } else {
      node = svg("circle", { cx: x, cy: y, r: r });
    }
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  /* Axes frame with ticks and labels; returns scale functions. */
  function axes(s, box, xMax, yMax, xLabel, yLabel, title) {
    var W = box.w, H = box.h, L = box.l, T = box.t;
    var xt = niceTicks(xMax, 6), yt = niceTicks(yMax, 5);
    var xm = xt[xt.length - 1], ym = yt[yt.length - 1];
    var sx = function (v) { return L + (v / xm) * W; };
    var sy = function (v) { return T + H - (v / ym) * H; };
    s.appendChild(svg("text", { x: L + W / 2, y: 16, "text-anchor": "middle",
      "font-size": 13, "font-weight": 600, "class": "title" }, title));
    xt.forEach(function (t) {
      s.appendChild(svg("line", { x1: sx(t), x2: sx(t), y1: T, y2: T + H, stroke: "#eee" }));
      s.appendChild(svg("text", { x: sx(t), y: T + H + 14, "text-anchor": "middle",
        "font-size": 10 }, fmtCompact(t)));
    });
    yt.forEach(function (t) {
      s.appendChild(svg("line", { x1: L, x2: L + W, y1: sy(t), y2: sy(t), stroke: "#eee" }));
      s.appendChild(svg("text", { x: L - 5, y: sy(t) + 3, "text-anchor": "end",
        "font-size": 10 }, fmtCompact(t)));
    });
    s.appendChild(svg("rect", { x: L, y: T, width: W, height: H, fill: "none",
      stroke: "#999" }));
    s.appendChild(svg("text", { x: L + W / 2, y: T + H + 32, "text-anchor": "middle",
      "font-size": 11, "class": "x-label" }, xLabel));
    s.appendChild(svg("text", { x: 14, y: T + H / 2, "text-anchor": "middle", "font-size": 11,
      transform: "rotate(-90 14 " + (T + H / 2) + ")", "class": "y-label" }, yLabel));
    return { sx: sx, sy: sy };
  }

  function scatterChart(container, rows, op, modality, label) {
    var key = op + "_mb_s";
    var pts = rows.filter(function (r) {
      return r.modality === modality && r.ratio !== null && r[key] !== null;
    }).map(function (r) { return { x: r[key], y: r.ratio, row: r }; });
    if (!pts.length) {
      emptyChart(container, "No " + op + " throughput with a compression ratio for these filters.");
      return;
    }
    var width = 620, height = 400;
    var s = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img",
      "data-points": pts.length, "aria-label": "ratio vs " + op + " throughput" });
    var box = { l: 56, t: 28, w: width - 56 - 160, h: height - 28 - 48 };
    var xMax = Math.max.apply(null, pts.map(function (p) { return p.x; })) * 1.1;
    var yMax = Math.max.apply(null, pts.map(function (p) { return p.y; })) * 1.1;
    var ax = axes(s, box, xMax, yMax, op + " throughput (MB/s, uncompressed)",
      "compression ratio (×)", label + ": compression ratio vs " + op + " throughput");
    // One Pareto front per machine: fronts across machines would mix hardware.
    var onFront = {}, nFront = 0, byMachine = {};
    pts.forEach(function (p, i) { (byMachine[p.row.machine] = byMachine[p.row.machine] || []).push(i); });
    Object.keys(byMachine).sort().forEach(function (name) {
      var members = byMachine[name];
      var front = paretoFront(members.map(function (i) { return pts[i]; }))
        .map(function (k) { return members[k]; });
      front.forEach(function (i) { onFront[i] = true; });
      nFront += front.length;
      if (front.length > 1) {
        s.appendChild(svg("polyline", { "class": "pareto", fill: "none", stroke: "#000",
          "data-machine": name, "stroke-dasharray": "5,4", points: front.map(function (i) {
            return ax.sx(pts[i].x) + "," + ax.sy(pts[i].y);
          }).join(" ") }));
      }
    });
    s.setAttribute("data-front", nFront);
    var labelAll = pts.length <= 10;
    pts.forEach(function (p, i) {
      var r = p.row, cx = ax.sx(p.x), cy = ax.sy(p.y);
      var g = svg("g", { "class": onFront[i] ? "point front" : "point" });
      var m = marker(state.machineShape[r.machine] || "circle", cx, cy, onFront[i] ? 6 : 4.5, {
        fill: state.codecColour[r.codec] || "#555",
        stroke: onFront[i] ? "#000" : "none", "stroke-width": 1.3 });
      g.appendChild(m);
      g.appendChild(svg("title", {}, r.codec + " · " + r.chunks + " · " + r.machine +
        "\nratio " + fmt(r.ratio, 2) + ", " + op + " " + fmt(p.x, 1) + " MB/s"));
      if (labelAll || onFront[i]) {  // crowded charts: label the front, tooltips for the rest
        g.appendChild(svg("text", { x: cx + 7, y: cy - 5, "font-size": 9, "class": "label",
          "font-weight": onFront[i] ? 600 : 400, fill: onFront[i] ? "#111" : "#666" },
          r.codec + (state.multiChunks ? " (" + r.chunks + ")" : "")));
      }
      s.appendChild(g);
    });
    // Legend: machines (marker shapes) and the Pareto line.
    var ly = box.t + 8, lx = box.l + box.w + 14;
    s.appendChild(svg("text", { x: lx, y: ly, "font-size": 10, "font-weight": 600 }, "machine"));
    Object.keys(state.machineShape).forEach(function (name) {
      if (!rows.some(function (r) { return r.machine === name; })) return;
      ly += 15;
      s.appendChild(marker(state.machineShape[name], lx + 5, ly - 3, 4, { fill: "#555" }));
      s.appendChild(svg("text", { x: lx + 14, y: ly, "font-size": 10 }, name));
    });
    ly += 20;
    s.appendChild(svg("line", { x1: lx, x2: lx + 18, y1: ly - 3, y2: ly - 3, stroke: "#000",
      "stroke-dasharray": "5,4" }));
    s.appendChild(svg("text", { x: lx + 22, y: ly, "font-size": 10 }, "Pareto front"));
    ly += 22;
    s.appendChild(svg("text", { x: lx, y: ly, "font-size": 10, "font-weight": 600 }, "codec"));
    distinct(pts.map(function (p) { return p.row; }), "codec").forEach(function (codec) {
      ly += 14;
      s.appendChild(svg("rect", { x: lx, y: ly - 9, width: 10, height: 10,
        fill: state.codecColour[codec] || "#555" }));
      s.appendChild(svg("text", { x: lx + 14, y: ly, "font-size": 9 }, codec));
    });
    container.textContent = "";
    container.appendChild(s);
  }

  function heatmapChart(container, rows, modality, label) {
    var mine = rows.filter(function (r) { return r.modality === modality && r.write_mb_s !== null; });
    var chunks = distinct(mine, "chunks"), codecs = distinct(mine, "codec");
    if (!chunks.length || !codecs.length) {
      emptyChart(container, "No write throughput for these filters.");
      return;
    }
    var cell = { w: Math.max(60, Math.min(110, 560 / codecs.length)), h: 30 };
    var L = 110, T = 30, B = 100;
    var width = L + cell.w * codecs.length + 20, height = T + cell.h * chunks.length + B;
    var s = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img",
      "aria-label": "write throughput heatmap" });
    s.appendChild(svg("text", { x: width / 2, y: 16, "text-anchor": "middle", "font-size": 13,
      "font-weight": 600, "class": "title" },
      label + ": write throughput (MB/s) by chunk shape and codec"));
    var grid = chunks.map(function (ch) {
      return codecs.map(function (co) {
        return median(mine.filter(function (r) { return r.chunks === ch && r.codec === co; })
          .map(function (r) { return r.write_mb_s; }));
      });
    });
    var all = [].concat.apply([], grid).filter(function (v) { return v !== null; });
    var lo = Math.min.apply(null, all), hi = Math.max.apply(null, all);
    var cells = 0;
    grid.forEach(function (row, i) {
      s.appendChild(svg("text", { x: L - 6, y: T + i * cell.h + cell.h / 2 + 4,
        "text-anchor": "end", "font-size": 10 }, chunks[i]));
      row.forEach(function (v, j) {
        var x = L + j * cell.w, y = T + i * cell.h;
        var t = v === null ? 0 : (hi > lo ? (v - lo) / (hi - lo) : 1);
        // Light-to-dark blue; missing cells hatched grey.
        var fill = v === null ? "#f0f0f0" : "hsl(210, 70%, " + (92 - 62 * t) + "%)";
        var rect = svg("rect", { x: x, y: y, width: cell.w - 2, height: cell.h - 2, fill: fill,
          "class": v === null ? "cell missing" : "cell" });
        rect.appendChild(svg("title", {}, chunks[i] + " × " + codecs[j] + ": " +
          (v === null ? "not measured" : fmt(v, 1) + " MB/s")));
        s.appendChild(rect);
        s.appendChild(svg("text", { x: x + cell.w / 2 - 1, y: y + cell.h / 2 + 3,
          "text-anchor": "middle", "font-size": 10, fill: t > 0.55 ? "#fff" : "#000" },
          v === null ? "n/a" : fmtCompact(v)));
        if (v !== null) cells++;
      });
    });
    codecs.forEach(function (co, j) {
      var x = L + j * cell.w + cell.w / 2, y = T + chunks.length * cell.h + 8;
      s.appendChild(svg("text", { x: x, y: y, "text-anchor": "end", "font-size": 10,
        transform: "rotate(-35 " + x + " " + y + ")" }, co));
    });
    s.appendChild(svg("text", { x: L + (cell.w * codecs.length) / 2, y: height - 6,
      "text-anchor": "middle", "font-size": 11, "class": "x-label" }, "codec"));
    s.appendChild(svg("text", { x: 12, y: T + (cell.h * chunks.length) / 2,
      "text-anchor": "middle", "font-size": 11, "class": "y-label",
      transform: "rotate(-90 12 " + (T + (cell.h * chunks.length) / 2) + ")" }, "chunk shape"));
    s.setAttribute("data-points", cells);
    container.textContent = "";
    container.appendChild(s);
  }

  function machinesChart(container, rows, modality, chunksFilter, label) {
    var mine = rows.filter(function (r) { return r.modality === modality && r.write_mb_s !== null; });
    var chunks = chunksFilter;
    if (!chunks) {  // the chunk shape measured on the most machines
      var per = {};
      mine.forEach(function (r) { (per[r.chunks] = per[r.chunks] || {})[r.machine] = 1; });
      chunks = Object.keys(per).sort(function (a, b) {
        return Object.keys(per[b]).length - Object.keys(per[a]).length || (a < b ? -1 : 1);
      })[0];
    }
    mine = mine.filter(function (r) { return r.chunks === chunks; });
    var codecs = distinct(mine, "codec"), machines = distinct(mine, "machine");
    if (!codecs.length) {
      emptyChart(container, "No write throughput for these filters.");
      return;
    }
    var width = 620, height = 380;
    var s = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img",
      "aria-label": "write throughput per machine" });
    var box = { l: 56, t: 28, w: width - 56 - 130, h: height - 28 - 110 };
    var values = codecs.map(function (co) {
      return machines.map(function (m) {
        return median(mine.filter(function (r) { return r.codec === co && r.machine === m; })
          .map(function (r) { return r.write_mb_s; }));
      });
    });
    var vmax = Math.max.apply(null, [].concat.apply([], values).filter(function (v) {
      return v !== null; })) * 1.1;
    var yt = niceTicks(vmax, 5), ym = yt[yt.length - 1];
    var sy = function (v) { return box.t + box.h - (v / ym) * box.h; };
    s.appendChild(svg("text", { x: box.l + box.w / 2, y: 16, "text-anchor": "middle",
      "font-size": 13, "font-weight": 600, "class": "title" },
      label + ": write throughput per machine (chunks " + chunks + ")"));
    yt.forEach(function (t) {
      s.appendChild(svg("line", { x1: box.l, x2: box.l + box.w, y1: sy(t), y2: sy(t),
        stroke: "#eee" }));
      s.appendChild(svg("text", { x: box.l - 5, y: sy(t) + 3, "text-anchor": "end",
        "font-size": 10 }, fmtCompact(t)));
    });
    var group = box.w / codecs.length, bw = (group * 0.8) / Math.max(1, machines.length);
    var bars = 0;
    values.forEach(function (row, j) {
      row.forEach(function (v, k) {
        if (v === null) return;
        var x = box.l + j * group + group * 0.1 + k * bw;
        var rect = svg("rect", { x: x, y: sy(v), width: Math.max(1, bw - 1),
          height: box.t + box.h - sy(v), fill: PALETTE[k % PALETTE.length], "class": "bar" });
        rect.appendChild(svg("title", {}, machines[k] + " · " + codecs[j] + ": " +
          fmt(v, 1) + " MB/s"));
        s.appendChild(rect);
        bars++;
      });
      var cx = box.l + j * group + group / 2, cy = box.t + box.h + 10;
      s.appendChild(svg("text", { x: cx, y: cy, "text-anchor": "end", "font-size": 10,
        transform: "rotate(-30 " + cx + " " + cy + ")" }, codecs[j]));
    });
    s.appendChild(svg("rect", { x: box.l, y: box.t, width: box.w, height: box.h, fill: "none",
      stroke: "#999" }));
    s.appendChild(svg("text", { x: box.l + box.w / 2, y: height - 6, "text-anchor": "middle",
      "font-size": 11, "class": "x-label" }, "codec"));
    s.appendChild(svg("text", { x: 14, y: box.t + box.h / 2, "text-anchor": "middle",
      "font-size": 11, "class": "y-label",
      transform: "rotate(-90 14 " + (box.t + box.h / 2) + ")" }, "write throughput (MB/s)"));
    var lx = box.l + box.w + 12, ly = box.t + 8;
    s.appendChild(svg("text", { x: lx, y: ly, "font-size": 10, "font-weight": 600 }, "machine"));
    machines.forEach(function (m, k) {
      ly += 15;
      s.appendChild(svg("rect", { x: lx, y: ly - 9, width: 10, height: 10,
        fill: PALETTE[k % PALETTE.length] }));
      s.appendChild(svg("text", { x: lx + 14, y: ly, "font-size": 10 }, m));
    });
    s.setAttribute("data-points", bars);
    container.textContent = "";
    container.appendChild(s);
  }

  function selected() {
    var out = {};
    FILTERS.forEach(function (f) { out[f] = document.getElementById("f-" + f).value; });
    out.size = document.getElementById("f-size").value;
    out.latest = document.getElementById("f-latest").checked;
    return out;
  }

  /* One array size at a time: throughput and medians are never mixed across sizes. */
  function filteredRows() {
    var f = selected();
    var source = f.latest || !state.allRows ? state.data.rows : state.allRows;
    return source.filter(function (r) {
      if (f.latest && !r.latest) return false;
      if (r.size !== f.size) return false;
      return FILTERS.every(function (k) { return !f[k] || r[k] === f[k]; });
    });
  }

  function sizeLabel(rows) {
    var f = selected(), presets = distinct(rows, "preset");
    var assumed = rows.some(function (r) { return !r.size_known; });
    return "array size " + f.size + (assumed ? " (assumed)" : "") +
      (presets.length ? ", preset " + presets.join(", ") : "");
  }

  function renderTable(rows) {
    var body = document.querySelector("#results tbody");
    body.textContent = "";
    var base = root.getAttribute("data-results");
    rows.forEach(function (r) {
      var tr = el("tr", { "class": r.status === "ok" ? "" : "failed" });
      [r.machine, r.modality, r.codec, r.chunks, r.preset, r.size].forEach(function (v) {
        tr.appendChild(el("td", {}, v));
      });
      tr.appendChild(el("td", { "class": "num" }, fmt(r.ratio, 2)));
      tr.appendChild(el("td", { "class": "num" }, fmt(r.write_mb_s, 1)));
      tr.appendChild(el("td", { "class": "num" }, fmt(r.read_mb_s, 1)));
      tr.appendChild(el("td", {}, r.timestamp));
      tr.appendChild(el("td", {}, r.commit));
      var td = el("td");
      td.appendChild(el("a", { href: base + "/" + encodeURIComponent(r.result_id),
        "class": "raw-json" }, r.result_id.slice(0, 12)));
      tr.appendChild(td);
      body.appendChild(tr);
    });
    var total = selected().latest || !state.allRows ? state.data.rows : state.allRows;
    document.getElementById("row-count").textContent =
      rows.length + " of " + total.length + " rows";
  }

  function render() {
    var f = selected();
    if (!f.latest && !state.allRows) {  // every run: fetched once, on first use
      loadAll();
      return;
    }
    var rows = filteredRows();
    renderTable(rows);
    document.getElementById("size-shown").textContent = "Showing " + sizeLabel(rows) +
      ". Runs at other array sizes are under \u201carray size\u201d; sizes are never mixed.";
    var modality = f.modality || distinct(rows, "modality")[0];
    var charts = ["write", "read", "heatmap", "machines"].map(function (id) {
      return document.querySelector("#chart-" + id + " .plot");
    });
    if (!modality) {
      charts.forEach(function (c) { emptyChart(c, "No rows match these filters."); });
      return;
    }
    state.multiChunks = distinct(rows.filter(function (r) { return r.modality === modality; }),
      "chunks").length > 1;
    var label = modality + " (" + f.size + ")";
    scatterChart(charts[0], rows, "write", modality, label);
    scatterChart(charts[1], rows, "read", modality, label);
    heatmapChart(charts[2], rows, modality, label);
    machinesChart(charts[3], rows, modality, f.chunks, label);
  }

  function loadAll() {
    root.setAttribute("data-ready", "loading");
    document.getElementById("status").textContent = "Loading every run…";
    fetch(root.getAttribute("data-src") + "?rows=all", { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("the service answered " + response.status);
        return response.json();
      })
      .then(function (all) {
        state.allRows = all.rows;
        showStatus();
        render();
        root.setAttribute("data-ready", "1");
      })
      .catch(function (err) {
        document.getElementById("status").textContent = "Could not load every run: " + err.message;
        root.setAttribute("data-ready", "error");
      });
  }

  function showStatus() {
    document.getElementById("status").textContent = state.data.results + " result file(s) from " +
      state.data.machines.length + " machine(s).";
  }

  function fillSelect(id, values) {
    var sel = document.getElementById("f-" + id);
    sel.textContent = "";
    sel.appendChild(el("option", { value: "" }, "all"));
    values.forEach(function (v) { sel.appendChild(el("option", { value: v }, v)); });
    sel.addEventListener("change", render);
  }

  function renderMachines(machines) {
    var body = document.querySelector("#machines tbody");
    body.textContent = "";
    machines.forEach(function (m) {
      var tr = el("tr");
      tr.appendChild(el("td", {}, m.name));
      tr.appendChild(el("td", {}, m.cpu || "—"));
      tr.appendChild(el("td", { "class": "num" }, m.cores === null ? "—" : m.cores));
      tr.appendChild(el("td", { "class": "num" },
        m.memory_bytes ? fmt(m.memory_bytes / Math.pow(2, 30), 1) + " GiB" : "—"));
      tr.appendChild(el("td", {}, m.os || "—"));
      tr.appendChild(el("td", { "class": "num" }, m.results));
      body.appendChild(tr);
    });
  }

  function start(data) {
    state.data = data;
    distinct(data.rows, "codec").forEach(function (c, i) {
      state.codecColour[c] = PALETTE[i % PALETTE.length];
    });
    data.machines.forEach(function (m, i) { state.machineShape[m.name] = SHAPES[i % SHAPES.length]; });
    renderMachines(data.machines);
    fillSelect("modality", distinct(data.rows, "modality"));
    fillSelect("codec", distinct(data.rows, "codec"));
    fillSelect("chunks", distinct(data.rows, "chunks"));
    fillSelect("machine", distinct(data.rows, "machine"));
    fillSelect("preset", distinct(data.rows, "preset"));
    var sizeSel = document.getElementById("f-size");  // no "all": one size at a time
    sizeSel.textContent = "";
    (data.sizes || []).forEach(function (v) { sizeSel.appendChild(el("option", { value: v }, v)); });
    sizeSel.addEventListener("change", render);
    document.getElementById("f-latest").addEventListener("change", render);
    var notes = document.getElementById("notes");
    (data.notes || []).forEach(function (n) { notes.appendChild(el("p", { "class": "note" }, n)); });
    showStatus();
    render();
    root.setAttribute("data-ready", "1");
  }

  fetch(root.getAttribute("data-src"), { headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error("the service answered " + response.status);
      return response.json();
    })
    .then(start)
    .catch(function (err) {
      document.getElementById("status").textContent = "Could not load results: " + err.message;
      root.setAttribute("data-ready", "error");
    });
})();
