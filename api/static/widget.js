/*! hairkg related-articles widget. Plain JS, no framework, no globals.
 *
 * One tag on any page:
 *   <script src="https://HOST/widget.js" data-article="https://site/article" data-limit="5" async></script>
 * renders a "Related articles" box right after the tag (or inside the element matched by
 * data-target="#selector"). Or, once widget.js is on the page, a custom element anywhere:
 *   <hairkg-related article="https://site/article" limit="5"></hairkg-related>
 * The API base is taken from the script's own src (override: data-api / api="https://HOST").
 *
 * The box lives in a Shadow DOM: host styles cannot break it and its styles cannot leak.
 * When the service is down or knows no related articles, it renders nothing and throws
 * nothing. The only name it adds anywhere is the custom element "hairkg-related".
 */
(function () {
  "use strict";

  var TAG = "hairkg-related";
  var script = document.currentScript;
  var defaultBase = "";
  try {
    if (script && script.src) {
      var src = new URL(script.src, document.baseURI);
      defaultBase = src.origin + src.pathname.replace(/\/widget\.js$/, "");
    }
  } catch (e) {
    defaultBase = "";
  }

  var CSS =
    ":host{all:initial!important;display:block!important;contain:content;" +
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif!important;" +
    "color:#1f2933!important;margin:1.5em 0!important;max-width:40em!important;" +
    "visibility:visible!important;opacity:1!important}" +
    ":host([hidden]){display:none!important}" +
    "nav{display:block;border:1px solid #d5dbe1;border-radius:8px;padding:12px 16px;" +
    "background:#fff;box-sizing:border-box}" +
    "h2{display:block;margin:0 0 8px;font-size:1.05em;font-weight:650;color:#1f2933}" +
    "ul{display:block;list-style:none;margin:0;padding:0}" +
    "li{display:block;margin:0;padding:8px 0;border-top:1px solid #eef1f4}" +
    "li:first-child{border-top:0}" +
    "a{display:inline;color:#0b57a4;text-decoration:underline;text-underline-offset:2px;" +
    "font-weight:600}" +
    "a:hover{color:#083f77}" +
    "a:focus-visible{outline:3px solid #f5b400;outline-offset:2px;border-radius:2px}" +
    ".why{display:block;margin-top:2px;font-size:.87em;color:#52606d}" +
    ".sum{display:block;margin-top:2px;font-size:.9em;color:#3e4c59}";

  function safeHref(url) {
    try {
      var parsed = new URL(url, document.baseURI);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function el(name, className, text) {
    var node = document.createElement(name);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function render(host, data) {
    var root = host.shadowRoot;
    var items = (data && data.items) || [];
    var shown = 0;
    var nav = el("nav");
    var heading = el("h2", "", host.getAttribute("heading") || "Related articles");
    heading.id = "hairkg-related-heading";
    nav.setAttribute("aria-labelledby", heading.id);
    nav.appendChild(heading);
    var list = el("ul");
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      var href = item && safeHref(item.url);
      if (!href || !item.title) continue;
      var li = el("li");
      var link = el("a", "", String(item.title));
      link.href = href;
      li.appendChild(link);
      if (item.reasons && item.reasons.length) {
        li.appendChild(el("span", "why", item.reasons.slice(0, 2).join(" · ")));
      }
      list.appendChild(li);
      shown++;
    }
    nav.appendChild(list);
    while (root.firstChild) root.removeChild(root.firstChild);
    var style = el("style");
    style.textContent = CSS;
    root.appendChild(style);
    if (!shown) {
      host.hidden = true; // nothing to show: take no room on the page
      host.setAttribute("data-state", "empty");
      return;
    }
    root.appendChild(nav);
    host.hidden = false;
    host.setAttribute("data-state", "ready");
  }

  function load(host) {
    try {
      var article = host.getAttribute("article");
      if (!article) {
        host.hidden = true;
        return;
      }
      var limit = parseInt(host.getAttribute("limit") || "5", 10);
      if (!(limit >= 1 && limit <= 50)) limit = 5;
      var base = (host.getAttribute("api") || defaultBase || "").replace(/\/+$/, "");
      var url =
        base + "/api/v1/related?url=" + encodeURIComponent(article) + "&limit=" + limit;
      if (!window.fetch) {
        host.hidden = true;
        return;
      }
      window
        .fetch(url, { mode: "cors", credentials: "omit", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (data) {
          render(host, data);
        })
        .catch(function () {
          host.hidden = true;
          host.setAttribute("data-state", "unavailable");
        });
    } catch (e) {
      host.hidden = true;
    }
  }

  function define() {
    if (!window.customElements || window.customElements.get(TAG)) return;
    var Related = function () {
      return Reflect.construct(HTMLElement, [], new.target || Related);
    };
    Related.prototype = Object.create(HTMLElement.prototype);
    Related.prototype.constructor = Related;
    Object.setPrototypeOf(Related, HTMLElement);
    Related.observedAttributes = ["article", "limit", "api"];
    Related.prototype.connectedCallback = function () {
      if (!this.shadowRoot) {
        this.attachShadow({ mode: "open" });
        this.hidden = true; // until there is something to show
      }
      load(this);
    };
    Related.prototype.attributeChangedCallback = function (name, oldValue, newValue) {
      if (this.shadowRoot && oldValue !== newValue) load(this);
    };
    window.customElements.define(TAG, Related);
  }

  function mountFromScript() {
    if (!script || !script.getAttribute("data-article")) return;
    var host = document.createElement(TAG);
    host.setAttribute("article", script.getAttribute("data-article"));
    var names = ["limit", "api", "heading"];
    for (var i = 0; i < names.length; i++) {
      var value = script.getAttribute("data-" + names[i]);
      if (value) host.setAttribute(names[i], value);
    }
    var selector = script.getAttribute("data-target");
    var place = function () {
      var target = null;
      try {
        target = selector ? document.querySelector(selector) : null;
      } catch (e) {
        target = null;
      }
      if (target) {
        target.appendChild(host);
      } else if (script.parentNode && script.parentNode !== document.head) {
        script.parentNode.insertBefore(host, script.nextSibling);
      } else if (document.body) {
        document.body.appendChild(host);
      }
    };
    if (selector && document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", place);
    } else if (!document.body && script.parentNode === document.head) {
      document.addEventListener("DOMContentLoaded", place);
    } else {
      place();
    }
  }

  try {
    define();
    mountFromScript();
  } catch (e) {
    /* never break the host page */
  }
})();
