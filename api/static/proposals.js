// The reviewers' page: open proposals with their term diffs, approve or reject each one.
// The token is typed into the page and kept in sessionStorage (this tab only), never in a URL.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const TOKEN_KEY = "hairkg.reviewToken";

  function token() {
    return $("review-token").value.trim();
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function problemText(body, status) {
    if (body && typeof body === "object") {
      let text = body.detail || body.title || "HTTP " + status;
      if (Array.isArray(body.errors) && body.errors.length) {
        text += ": " + body.errors.slice(0, 3).map((f) => f.message).join("; ");
      }
      return text + " (" + status + ")";
    }
    return "HTTP " + status;
  }

  async function post(url, payload) {
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (token()) headers.Authorization = "Bearer " + token();
    const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(payload) });
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    return { status: response.status, ok: response.ok, body };
  }

  function diffBlock(diff) {
    const pre = el("pre", (diff && diff.text) || "(no term-level change)", "diff");
    return pre;
  }

  function card(proposal) {
    const item = el("li", null, "proposal");
    item.dataset.id = proposal.id;
    const title = el("h2");
    title.append(el("span", proposal.message || "(no message)", "message"));
    item.append(title);
    const meta = el("p", "by " + proposal.author + " · " + proposal.created + " · " + proposal.kind, "meta");
    item.append(meta);
    const passes = proposal.validation && proposal.validation.passes;
    item.append(el("p", passes ? "passes validation" : "fails validation", passes ? "valid" : "invalid"));
    item.append(diffBlock(proposal.diff));
    const actions = el("div", null, "actions");
    const approve = el("button", "Approve", "approve");
    approve.type = "button";
    const reason = el("input", null, "reason");
    reason.type = "text";
    reason.placeholder = "reason for rejecting";
    reason.setAttribute("aria-label", "Reason for rejecting " + proposal.id);
    const reject = el("button", "Reject", "reject");
    reject.type = "button";
    const status = el("p", "", "status");
    status.setAttribute("role", "status");
    actions.append(approve, reason, reject);
    item.append(actions, status);

    async function decide(kind) {
      approve.disabled = reject.disabled = true;
      const payload = kind === "reject" ? { reason: reason.value } : {};
      const result = await post("/api/v1/proposals/" + encodeURIComponent(proposal.id) + "/" + kind, payload);
      if (result.ok) {
        const done = kind === "approve" ? "approved as change " + result.body.change : "rejected";
        status.textContent = done;
        status.className = "status ok";
        item.classList.add("decided");
      } else {
        status.textContent = problemText(result.body, result.status);
        status.className = "status error";
        approve.disabled = reject.disabled = false;
      }
    }
    approve.addEventListener("click", () => decide("approve"));
    reject.addEventListener("click", () => decide("reject"));
    return item;
  }

  async function load() {
    const list = $("proposals");
    const response = await fetch("/api/v1/proposals?status=open&limit=200", { headers: { Accept: "application/json" } });
    const body = await response.json();
    list.replaceChildren(...body.items.map(card));
    $("proposals-status").textContent = body.total ? body.total + " open proposal(s)" : "No open proposals.";
  }

  document.addEventListener("DOMContentLoaded", () => {
    const input = $("review-token");
    input.value = sessionStorage.getItem(TOKEN_KEY) || "";
    input.addEventListener("input", () => sessionStorage.setItem(TOKEN_KEY, token()));
    $("token-form").addEventListener("submit", (event) => event.preventDefault());
    $("token-forget").addEventListener("click", () => {
      sessionStorage.removeItem(TOKEN_KEY);
      input.value = "";
    });
    load().catch((error) => { $("proposals-status").textContent = "Could not load proposals: " + error; });
  });
})();
