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
    },
    yasr: { prefixes: config.prefixes, defaultPlugin: "table" },
  });
  window.hairkgYasgui = yasgui;

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
