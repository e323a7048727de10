// Draws the trust graph from the JSON the report embeds. The page reports its own state in
// the DOM (body[data-graph], #graph-status, #js-errors) so that a headless browser can tell
// a drawn graph from a broken one.
(function () {
  "use strict";
  var errors = [];
  function showError(msg) {
    errors.push(msg);
    if (window.console) { console.error(msg); }
    var pre = document.getElementById("js-errors");
    pre.hidden = false;
    pre.textContent = "JavaScript errors:\n" + errors.join("\n");
    document.body.setAttribute("data-graph", "error");
  }
  window.addEventListener("error", function (e) { showError(String(e.message || e)); });

  var colours = { critical: "#8b0000", high: "#d62728", medium: "#e08a00", low: "#1f77b4", info: "#6c757d" };
  var nodeColours = { "public": "#d62728", account: "#9467bd", org: "#8c564b", service: "#17becf", principal: "#7f7f7f" };

  function draw() {
    var data = JSON.parse(document.getElementById("graph-data").textContent);
    var status = document.getElementById("graph-status");
    if (data.nodes.length === 0) {
      status.textContent = "No findings: nothing outside the trust boundary reaches a resource.";
      document.getElementById("graph").style.display = "none";
      document.body.setAttribute("data-graph", "empty");
      return;
    }
    // Two columns, outsiders left and resources right, each sorted and centred vertically.
    var left = data.nodes.filter(function (n) { return n.side === "outside"; });
    var right = data.nodes.filter(function (n) { return n.side !== "outside"; });
    var step = 46, width = 460;
    var rows = Math.max(left.length, right.length);
    // The drawing keeps a readable scale: the box grows with the rows instead of the graph
    // shrinking into it.
    var box = document.getElementById("graph");
    box.style.height = Math.min(1600, Math.max(260, rows * step + 90)) + "px";
    function place(col, x) {
      var offset = (rows - col.length) * step / 2;
      return col.map(function (n, i) {
        return { group: "nodes", data: n, position: { x: x, y: offset + i * step }, classes: n.side };
      });
    }
    var elements = place(left, 0).concat(place(right, width));
    data.edges.forEach(function (e) {
      elements.push({ group: "edges", data: e, classes: e.muted ? "muted" : "" });
    });
    var cy = cytoscape({
      container: document.getElementById("graph"),
      elements: elements,
      layout: { name: "preset", fit: true, padding: 40 },
      maxZoom: 1.6,
      style: [
        { selector: "node", style: {
          "label": "data(label)", "text-wrap": "wrap", "font-size": 12, "text-valign": "center",
          "width": 18, "height": 18, "color": "#1d232a" } },
        { selector: "node.outside", style: {
          "text-halign": "left", "text-margin-x": -6, "shape": "round-rectangle",
          "background-color": function (n) { return nodeColours[n.data("type")] || "#7f7f7f"; } } },
        { selector: "node.resource", style: {
          "text-halign": "right", "text-margin-x": 6, "shape": "ellipse", "background-color": "#2b6cb0" } },
        { selector: "edge", style: {
          "width": 3, "curve-style": "bezier", "target-arrow-shape": "triangle", "arrow-scale": 1.1,
          "line-color": function (e) { return colours[e.data("severity")] || "#6c757d"; },
          "target-arrow-color": function (e) { return colours[e.data("severity")] || "#6c757d"; } } },
        { selector: "edge.muted", style: { "line-style": "dashed", "opacity": 0.55 } }
      ]
    });
    cy.on("tap", "edge", function (evt) { location.hash = "f-" + evt.target.data("findings")[0]; });
    cy.on("tap", "node.resource", function (evt) {
      var e = evt.target.connectedEdges()[0];
      if (e) { location.hash = "f-" + e.data("findings")[0]; }
    });
    var done = function () {
      status.textContent = "Graph: " + cy.nodes().length + " nodes, " + cy.edges().length + " edges.";
      if (errors.length === 0) { document.body.setAttribute("data-graph", "rendered"); }
    };
    if (cy.nodes().length === elements.length - data.edges.length && cy.edges().length === data.edges.length) {
      done();
    } else {
      showError("graph: expected " + data.nodes.length + " nodes and " + data.edges.length + " edges");
    }
  }
  try {
    draw();
  } catch (e) {
    showError(String(e && e.stack || e));
  }
})();
