"""The HTML report's inline style sheet and script: no CDN, no web font, no network.

The script only reads the page's own JSON data blocks and writes with ``textContent``,
never ``innerHTML``, so scenario text cannot become markup however hostile it is.
"""

from __future__ import annotations

STYLE = """
:root {
  --ok: #2f9e5f; --retried: #d9a400; --fell_back: #e0701b; --failed: #d43d3d;
  --served: #2f9e5f; --degraded: #e0a21b; --failed_safe: #5b6fd6;
  --fault: #c43b8c; --ink: #1d2330; --muted: #5f6877; --line: #dde1e8; --panel: #ffffff; --bg: #f3f5f8;
}
* { box-sizing: border-box; }
body { margin: 0; padding: 20px 24px 40px; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 12.5px; }
h1 { font-size: 22px; margin: 0 0 4px; display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
h2 { font-size: 15px; margin: 0 0 10px; }
.suite { margin-bottom: 24px; }
.drill { margin-bottom: 40px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 11px; font-size: 13px; font-weight: 600;
  color: #fff; }
.badge.pass { background: var(--ok); } .badge.fail { background: var(--failed); }
.desc { margin: 2px 0 8px; color: var(--muted); white-space: pre-wrap; }
.verdict { margin: 6px 0 10px; font-weight: 600; }
.verdict.fail { color: var(--failed); } .verdict.pass { color: var(--ok); }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0 0 12px; font-size: 13px; }
.meta dt { color: var(--muted); } .meta dd { margin: 0; overflow-wrap: anywhere; }
.tiles { display: flex; gap: 10px; flex-wrap: wrap; margin-bottom: 14px; }
.tile { background: var(--panel); border: 1px solid var(--line); border-left: 5px solid var(--line);
  border-radius: 6px; padding: 6px 14px; min-width: 130px; }
.tile b { display: block; font-size: 20px; } .tile span { color: var(--muted); font-size: 12px; }
.tile.served { border-left-color: var(--served); } .tile.degraded { border-left-color: var(--degraded); }
.tile.failed_safe { border-left-color: var(--failed_safe); } .tile.failed { border-left-color: var(--failed); }
.tile.cost { border-left-color: var(--muted); }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px;
  margin-bottom: 14px; min-width: 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 14px; }
.grid .panel { margin-bottom: 0; }
.notable { margin-top: 14px; }
.scroll { max-height: 460px; overflow: auto; border: 1px solid var(--line); border-radius: 4px; }
.scroll thead th { position: sticky; top: 0; background: var(--panel); }
.note { color: var(--muted); font-size: 12px; margin: 6px 0 0; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font-size: 11px; fill: var(--ink); }
svg .small { font-size: 9.5px; fill: var(--muted); }
svg .axis { fill: var(--muted); }
svg .grid-line { stroke: #e6e9ee; stroke-width: 1; }
svg .lane-bg { fill: #f7f8fa; } svg .lane-bg.odd { fill: #ffffff; }
svg .fw { fill: var(--fault); fill-opacity: 0.22; stroke: var(--fault); stroke-width: 1; }
svg .fshade { fill: var(--fault); fill-opacity: 0.07; stroke: var(--fault); stroke-opacity: 0.35;
  stroke-dasharray: 3 3; }
svg .fire { fill: var(--fault); }
svg .flabel { fill: #7a1f56; font-size: 10.5px; }
svg .m { cursor: pointer; } svg .m.hl { stroke: var(--ink); stroke-width: 1.2; }
svg .hit { fill: transparent; cursor: pointer; }
svg .k-ok { fill: var(--ok); } svg .k-retried { fill: var(--retried); }
svg .k-fell_back { fill: var(--fell_back); } svg .k-failed { fill: var(--failed); }
svg .o-served { fill: var(--served); } svg .o-degraded { fill: var(--degraded); }
svg .o-failed_safe { fill: var(--failed_safe); } svg .o-failed { fill: var(--failed); }
.legend { display: flex; gap: 14px; flex-wrap: wrap; font-size: 12px; color: var(--muted); margin-top: 8px; }
.sw { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px;
  vertical-align: -1px; }
.sw.k-ok { background: var(--ok); } .sw.k-retried { background: var(--retried); }
.sw.k-fell_back { background: var(--fell_back); } .sw.k-failed { background: var(--failed); }
.sw.o-served { background: var(--served); } .sw.o-degraded { background: var(--degraded); }
.sw.o-failed_safe { background: var(--failed_safe); } .sw.o-failed { background: var(--failed); }
.sw.fault { background: var(--fault); opacity: .5; }
.inspector { margin-top: 10px; border-top: 1px solid var(--line); padding-top: 10px; min-height: 44px; }
.inspector .hint { color: var(--muted); }
.inspector ol { margin: 6px 0 0; padding-left: 22px; } .inspector li { margin: 2px 0; }
.inspector button { font: inherit; font-size: 12px; margin: 2px 4px 2px 0; cursor: pointer;
  border: 1px solid var(--line); background: #f7f8fa; border-radius: 4px; padding: 1px 6px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr[data-r] { cursor: pointer; } tr[data-r]:hover { background: #f3f6fb; }
.bar { position: relative; height: 12px; background: #eef0f4; border-radius: 3px; min-width: 120px; }
.bar span { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 3px; }
.bar .p99 { background: #c9d3f0; } .bar .p95 { background: #8fa3e3; } .bar .p50 { background: #4a63c9; }
.bar .cost { background: #7c8799; }
.exp { list-style: none; margin: 0; padding: 0; }
.exp li { padding: 6px 0; border-bottom: 1px solid var(--line); }
.exp .mark { display: inline-block; width: 44px; font-weight: 700; font-size: 12px; }
.exp .mark.pass { color: var(--ok); } .exp .mark.fail { color: var(--failed); }
.exp ul { margin: 4px 0 0 44px; padding-left: 14px; }
.outcome { font-weight: 600; } .outcome.served { color: var(--served); } .outcome.degraded { color: #b57d00; }
.outcome.failed_safe { color: var(--failed_safe); } .outcome.failed { color: var(--failed); }
.wf-chart { margin-bottom: 10px; } .wf-chart h3 { font-size: 13px; margin: 0 0 2px; }
#tip { position: fixed; z-index: 10; pointer-events: none; max-width: 560px; background: #1d2330; color: #fff;
  font-size: 12px; padding: 6px 9px; border-radius: 5px; box-shadow: 0 2px 8px rgba(0,0,0,.25); display: none; }
#tip .dim { color: #b9c1cf; }
"""

SCRIPT = r"""
(function () {
  "use strict";
  var KINDS = ["ok", "retried", "fell_back", "failed"];
  var tip = document.getElementById("tip");

  function node(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) { n.className = cls; }
    if (text !== undefined && text !== null) { n.textContent = String(text); }
    return n;
  }
  function secs(v) { return Number(v).toFixed(2) + " s"; }

  function stepLine(step) {
    // step: [route, token, kind, at_s, internal, detail, next_hop, latency_s]
    var text = step[0] + " " + step[1] + " at " + secs(step[3]);
    if (step[4]) { text += " (inside OpenRouter)"; } else { text += ", took " + secs(step[7]); }
    if (step[1] !== "ok" && step[5]) { text += ": " + step[5]; }
    if (step[6]) { text += " \u2192 " + step[6]; }
    return text;
  }

  function requestNode(data, index) {
    var req = data.requests[String(index)];
    var box = node("div");
    if (!req) {
      box.appendChild(node("b", null, "Request #" + index));
      box.appendChild(node("div", "hint",
        "Details of this request are not embedded: large reports keep failed and degraded requests only."));
      return box;
    }
    var head = node("div");
    head.appendChild(node("b", null, "Request #" + req.i + " "));
    head.appendChild(node("span", "outcome " + req.o, req.ol));
    head.appendChild(node("span", null, " \u00b7 " + req.w + " \u00b7 arrived " + secs(req.t) +
      " \u00b7 latency " + secs(req.lat) + " \u00b7 " + req.cost));
    box.appendChild(head);
    if (req.why) { box.appendChild(node("div", "hint", req.why)); }
    if (req.msg) { box.appendChild(node("div", null, "User saw: " + req.msg)); }
    var list = node("ol");
    req.steps.forEach(function (step) {
      var li = node("li");
      li.appendChild(node("span", "sw k-" + step[2]));
      li.appendChild(node("span", "mono", stepLine(step)));
      list.appendChild(li);
    });
    if (!req.steps.length) { list.appendChild(node("li", "hint", "no attempt was sent")); }
    box.appendChild(list);
    return box;
  }

  function tipText(data, index) {
    var req = data.requests[String(index)];
    if (!req) { return ["Request #" + index, "details not embedded"]; }
    var lines = ["#" + req.i + " " + req.w + " \u00b7 " + req.ol + " \u00b7 " + secs(req.t)];
    req.steps.forEach(function (step) { lines.push(step[0] + " " + step[1]); });
    return lines;
  }

  function showTip(evt, lines) {
    tip.textContent = "";
    lines.forEach(function (line, i) { tip.appendChild(node("div", i ? "dim" : null, line)); });
    tip.style.display = "block";
    var x = evt.clientX + 14, y = evt.clientY + 14;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    if (x + w > window.innerWidth - 8) { x = evt.clientX - w - 14; }
    if (y + h > window.innerHeight - 8) { y = evt.clientY - h - 14; }
    tip.style.left = Math.max(4, x) + "px";
    tip.style.top = Math.max(4, y) + "px";
  }
  function hideTip() { tip.style.display = "none"; }

  function setup(section) {
    var source = document.getElementById(section.getAttribute("data-source"));
    var data = JSON.parse(source.textContent);
    var svg = section.querySelector("svg.timeline");
    var inspector = section.querySelector(".inspector");
    var lit = [];

    function highlight(index) {
      lit.forEach(function (m) { m.classList.remove("hl"); });
      lit = index === null ? [] : Array.prototype.slice.call(svg.querySelectorAll('rect.m[data-r="' + index + '"]'));
      lit.forEach(function (m) { m.classList.add("hl"); });
    }
    function inspectRequest(index) {
      inspector.textContent = "";
      inspector.appendChild(requestNode(data, index));
      highlight(index);
    }
    function bucketAt(evt, laneIndex) {
      var lane = data.lanes[laneIndex];
      var pt = svg.createSVGPoint();
      pt.x = evt.clientX; pt.y = evt.clientY;
      var p = pt.matrixTransform(svg.getScreenCTM().inverse());
      var b = Math.floor((p.x - data.plot_x) / data.bucket_px);
      var found = null;
      (lane.buckets || []).forEach(function (row) { if (row[0] === b) { found = row; } });
      return { lane: lane, b: b, row: found };
    }
    function bucketLines(hit) {
      var from = hit.b * data.bucket_s, to = from + data.bucket_s;
      var head = hit.lane.route + ", " + from.toFixed(2) + "\u2013" + to.toFixed(2) + " s";
      if (!hit.row) { return [head, "no attempts"]; }
      var parts = KINDS.map(function (k, i) { return hit.row[i + 1] + " " + k.replace("_", " "); });
      return [head, parts.join(", ")];
    }
    function inspectBucket(hit) {
      inspector.textContent = "";
      var lines = bucketLines(hit);
      inspector.appendChild(node("b", null, lines[0]));
      inspector.appendChild(node("div", null, lines[1]));
      var samples = hit.row ? hit.row[5] : [];
      if (samples.length) {
        var box = node("div", null, "Requests that did not go well here: ");
        samples.forEach(function (index) {
          var button = node("button", null, "#" + index);
          button.type = "button";
          button.setAttribute("data-r", String(index));
          box.appendChild(button);
        });
        inspector.appendChild(box);
      }
      highlight(null);
    }

    svg.addEventListener("mousemove", function (evt) {
      var t = evt.target;
      if (t.hasAttribute && t.hasAttribute("data-r")) {
        showTip(evt, tipText(data, t.getAttribute("data-r")));
        highlight(t.getAttribute("data-r"));
      } else if (t.hasAttribute && t.hasAttribute("data-lane")) {
        showTip(evt, bucketLines(bucketAt(evt, Number(t.getAttribute("data-lane")))));
      } else { hideTip(); }
    });
    svg.addEventListener("mouseleave", function () { hideTip(); });
    svg.addEventListener("click", function (evt) {
      var t = evt.target;
      if (t.hasAttribute && t.hasAttribute("data-r")) { inspectRequest(t.getAttribute("data-r")); }
      else if (t.hasAttribute && t.hasAttribute("data-lane")) {
        inspectBucket(bucketAt(evt, Number(t.getAttribute("data-lane"))));
      }
    });
    section.addEventListener("click", function (evt) {
      var t = evt.target.closest ? evt.target.closest("button[data-r], tr[data-r]") : null;
      if (t && section.contains(t)) {
        inspectRequest(t.getAttribute("data-r"));
        if (t.tagName === "TR") { inspector.scrollIntoView({ block: "nearest" }); }
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("section.drill[data-source]"), setup);
  document.documentElement.setAttribute("data-ready", "1");
})();
"""
