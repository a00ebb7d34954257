// hairkg query page: YASGUI set up for this endpoint, offline, with the example questions.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("hairkg-query-config").textContent);
  var root = document.getElementById("yasgui");
  if (!window.Yasgui || !root) {
    return;
  }
  var Yasqe = window.Yasgui.Yasqe;

  // No request may leave this origin: keep only the completers that work offline (prefixes
  // from YASQE's bundled list, variables from the query), never LOV or prefix.cc.
  Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  Yasqe.defaults.prefixCcApi = config.prefixesUrl; // this origin, not prefix.cc

  var yasgui = new window.Yasgui(root, {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: {
      getData: function () {
        return [{ endpoint: config.endpoint }];
      },
      keys: [],
    },
    persistenceId: "hairkg-query",
    populateFromUrl: true,
    autofocus: false,
    yasqe: {
      value: config.defaultQuery,
      autocompleters: ["prefixes", "variables"],
      prefixCcApi: config.prefixesUrl,
      editorHeight: "460px",
      // The 14 PREFIX lines fold into one, so the query itself is above the fold.
      collapsePrefixesOnLoad: true,
      // CodeMirror's input inside the scrolling editor, named for screen readers.
      inputStyle: "contenteditable",
      screenReaderLabel: "SPARQL query",
    },
    yasr: { prefixes: config.prefixes, defaultPlugin: "table" },
  });
  window.hairkgYasgui = yasgui;

  function foldPrefixes(tab) {
    var yasqe = tab && tab.getYasqe();
    if (yasqe) {
      yasqe.collapsePrefixes(true);
    }
  }

  // Names and roles YASGUI's markup lacks (axe-core: label, aria-required-children).
  function labelControls() {
    root.querySelectorAll(".autocomplete input, input.autocomplete").forEach(function (input) {
      input.setAttribute("aria-label", "SPARQL endpoint");
    });
    root.querySelectorAll("select.tableSizer:not([aria-label])").forEach(function (select) {
      select.setAttribute("aria-label", "Rows per page");
    });
    // A tab list holds tabs only: YASGUI's "+" button moves out of it, beside it.
    var tabs = root.querySelector(".tabsList");
    var add = tabs && tabs.querySelector("button.addTab");
    if (add && !root.querySelector("button.hairkg-add-tab")) {
      add.parentNode.hidden = true; // stays in place: YASGUI inserts new tabs before it
      var button = document.createElement("button");
      button.type = "button";
      button.className = "addTab hairkg-add-tab";
      button.textContent = "+";
      button.title = "Add tab";
      button.setAttribute("aria-label", "Add a new tab");
      button.addEventListener("click", function () {
        yasgui.addTab(true);
      });
      var row = document.createElement("div");
      row.className = "hairkg-tabs-row";
      tabs.parentNode.insertBefore(row, tabs);
      row.append(tabs, button);
    }
  }
  labelControls();
  // YASR draws its table (and its controls) when results arrive.
  new MutationObserver(labelControls).observe(root, { childList: true, subtree: true });
  yasgui.on("tabSelect", function () {
    window.setTimeout(function () {
      labelControls();
      foldPrefixes(yasgui.getTab());
    }, 0);
  });
  yasgui.on("tabAdd", labelControls);

  // Tabs restored from an earlier visit may point at another server (another port): this
  // page is the editor of this endpoint.
  var tab = yasgui.getTab();
  if (tab && tab.getEndpoint() !== config.endpoint) {
    tab.setEndpoint(config.endpoint);
  }

  // A link to /sparql?query=… opened in a browser: that query, loaded and run.
  if (config.initialQuery) {
    tab = yasgui.getTab();
    tab.setEndpoint(config.endpoint);
    tab.setQuery(config.initialQuery);
    foldPrefixes(tab);
    tab.query();
  }

  var byId = {};
  config.examples.forEach(function (example) {
    byId[example.id] = example;
  });

  function loadExample(example, button) {
    var current = yasgui.getTab();
    current.setEndpoint(config.endpoint);
    current.setQuery(example.query);
    foldPrefixes(current);
    if (current.setName) {
      current.setName(example.title.length > 40 ? example.title.slice(0, 39) + "…" : example.title);
    }
    document.querySelectorAll("button.example[aria-current]").forEach(function (b) {
      b.removeAttribute("aria-current");
    });
    if (button) {
      button.setAttribute("aria-current", "true");
    }
    var yasqe = current.getYasqe();
    if (yasqe) {
      yasqe.focus();
    }
  }

  // IRIs of this graph in the results open here, not at w3id.org (which may point elsewhere).
  var base = "https://w3id.org/hairkg/";
  function localise(event) {
    var link = event.target.closest && event.target.closest("a.iri");
    var iri = link && link.getAttribute("href");
    if (!iri || iri.indexOf(base) !== 0) {
      return;
    }
    var rest = iri.slice(base.length);
    if (rest.indexOf("id/") === 0 || rest === "ontology" || rest.indexOf("ontology#") === 0) {
      link.setAttribute("href", "/" + rest);
    }
  }
  root.addEventListener("click", localise, true);
  root.addEventListener("auxclick", localise, true);
  root.addEventListener("contextmenu", localise, true);

  var list = document.getElementById("example-list");
  if (list) {
    list.addEventListener("click", function (event) {
      var button = event.target.closest("button.example");
      if (!button) {
        return;
      }
      var example = byId[button.getAttribute("data-example")];
      if (example) {
        loadExample(example, button);
      }
    });
  }
})();
