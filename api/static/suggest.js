// The editors' tag-suggestion page: paste, suggest, accept or reject, save through the write path.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let state = null; // {result, decisions: {id: {accepted, role}}}

  function setStatus(el, text, kind) {
    el.textContent = text;
    el.className = "status" + (kind ? " " + kind : "");
  }

  function problemText(body, status) {
    if (body && typeof body === "object") {
      let text = body.detail || body.title || "HTTP " + status;
      const findings = body.errors || body.findings || body.report;
      if (Array.isArray(findings) && findings.length) {
        text += ": " + findings.slice(0, 3).map((f) => f.message || JSON.stringify(f)).join("; ");
      }
      return text + " (" + status + ")";
    }
    return "HTTP " + status;
  }

  async function postJSON(url, payload, headers) {
    const response = await fetch(url, {
      method: "POST",
      headers: Object.assign({ "Content-Type": "application/json", Accept: "application/json" }, headers || {}),
      body: JSON.stringify(payload),
    });
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    return { status: response.status, ok: response.ok, body };
  }

  // Offsets are in code points (Python string indices): slice an array of code points.
  function render(container, text, spans) {
    container.replaceChildren();
    const chars = Array.from(text);
    const sorted = spans.slice().sort((a, b) => a.offset - b.offset || b.length - a.length);
    let at = 0;
    for (const s of sorted) {
      if (s.offset < at) continue; // overlapping (a combination shares its components' spans)
      if (s.offset > at) container.append(chars.slice(at, s.offset).join(""));
      const mark = document.createElement("mark");
      mark.textContent = chars.slice(s.offset, s.offset + s.length).join("");
      mark.dataset.concept = s.concept;
      mark.title = s.label + " (" + s.type + ")";
      container.append(mark);
      at = s.offset + s.length;
    }
    if (at < chars.length) container.append(chars.slice(at).join(""));
  }

  function refreshMarks() {
    document.querySelectorAll("mark[data-concept]").forEach((mark) => {
      const d = state.decisions[mark.dataset.concept];
      mark.className = d.accepted ? d.role : "rejected";
    });
    document.querySelectorAll("#suggestions li[data-concept]").forEach((li) => {
      const d = state.decisions[li.dataset.concept];
      li.classList.toggle("rejected", !d.accepted);
      li.querySelector("input.accept").checked = d.accepted;
      li.querySelector("select.role").value = d.role;
    });
    const anyAbout = Object.values(state.decisions).some((d) => d.accepted && d.role === "about");
    $("suggest-save").disabled = !anyAbout;
  }

  function showResult(result) {
    const decisions = {};
    const textSpans = [];
    const titleSpans = [];
    for (const c of result.concepts) {
      decisions[c.id] = { accepted: true, role: c.role };
      for (const s of c.spans) {
        if (s.match === "combination") continue;
        const span = { offset: s.offset, length: s.length, concept: c.id, label: c.label, type: c.type };
        (s.field === "title" ? titleSpans : textSpans).push(span);
      }
    }
    state = { result, decisions };
    $("suggest-placeholder").hidden = true;
    $("suggest-results").hidden = false;
    const doc = result.document;
    if (titleSpans.length || (doc.title && !doc.titleInText)) {
      render($("highlighted-title"), doc.titleInText ? "" : doc.title, titleSpans);
    } else {
      $("highlighted-title").replaceChildren();
    }
    render($("highlighted"), doc.text, textSpans);
    const list = $("suggestions");
    list.replaceChildren();
    for (const c of result.concepts) {
      const li = document.createElement("li");
      li.dataset.concept = c.id;
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.className = "accept";
      box.setAttribute("aria-label", "accept " + c.label);
      box.addEventListener("change", () => { decisions[c.id].accepted = box.checked; refreshMarks(); });
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = " " + c.label;
      label.append(box, name);
      const role = document.createElement("select");
      role.className = "role";
      role.setAttribute("aria-label", "role of " + c.label);
      for (const r of ["about", "mentions"]) {
        const o = document.createElement("option");
        o.value = r; o.textContent = r;
        role.append(o);
      }
      role.addEventListener("change", () => { decisions[c.id].role = role.value; refreshMarks(); });
      const meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = c.type + " · " + c.id + " · score " + c.score + " · " + c.spans.length + " span(s)";
      const why = document.createElement("div");
      why.className = "why";
      why.textContent = c.explanation.summary + " — " + c.explanation.reasons.join("; ");
      li.append(label, role, meta, why);
      list.append(li);
    }
    const unresolved = $("unresolved");
    unresolved.replaceChildren();
    if (result.unresolved.length) {
      const p = document.createElement("p");
      p.textContent = "Not suggested: " + result.unresolved
        .map((u) => "“" + u.surface + "” as " + u.candidate.label + " (" + u.reason + ")").join("; ");
      unresolved.append(p);
    }
    refreshMarks();
  }

  function toggleFromMark(event) {
    const mark = event.target.closest("mark[data-concept]");
    if (!mark || !state) return;
    const d = state.decisions[mark.dataset.concept];
    d.accepted = !d.accepted;
    refreshMarks();
  }

  async function runSuggest(event) {
    event.preventDefault();
    const status = $("suggest-status");
    const text = $("suggest-text").value;
    const title = $("suggest-title").value.trim();
    const payload = $("suggest-is-html").checked ? { html: text } : { text };
    if (title) payload.title = title;
    if ($("suggest-url").value.trim()) payload.url = $("suggest-url").value.trim();
    setStatus(status, "Looking for concepts…");
    $("suggest-run").disabled = true;
    try {
      const answer = await postJSON("/api/v1/suggest", payload);
      if (!answer.ok) { setStatus(status, problemText(answer.body, answer.status), "error"); return; }
      showResult(answer.body);
      if (!title && answer.body.document.title) $("suggest-title").value = answer.body.document.title;
      const r = answer.body;
      setStatus(status, r.concepts.length + " concepts (" + r.about.length + " about, " + r.mentions.length +
        " mentions) in " + r.words + " words.", "ok");
    } catch (error) {
      setStatus(status, "The service did not answer: " + error, "error");
    } finally {
      $("suggest-run").disabled = false;
    }
  }

  async function save(event) {
    event.preventDefault();
    const status = $("save-status");
    if (!state) return;
    const about = [], mentions = [];
    for (const [id, d] of Object.entries(state.decisions)) {
      if (d.accepted) (d.role === "about" ? about : mentions).push(id);
    }
    const payload = {
      url: $("suggest-url").value.trim(),
      title: $("suggest-title").value.trim() || state.result.document.title,
      about, mentions,
    };
    const summary = $("suggest-summary").value.trim();
    if (summary) payload.summary = summary;
    const token = $("suggest-token").value.trim();
    setStatus(status, "Saving…");
    $("suggest-save").disabled = true;
    try {
      const answer = await postJSON("/api/v1/suggest/accept", payload,
        token ? { Authorization: "Bearer " + token } : {});
      if (!answer.ok) { setStatus(status, problemText(answer.body, answer.status), "error"); return; }
      status.replaceChildren();
      status.className = "status ok";
      const id = (answer.body.registered && answer.body.registered.id) || "";
      status.append("Registered " + id + " (" + about.length + " about, " + mentions.length + " mentions). ");
      const link = document.createElement("a");
      link.href = answer.body.links.related;
      link.id = "related-link";
      link.textContent = "Related content";
      status.append(link);
    } catch (error) {
      setStatus(status, "The service did not answer: " + error, "error");
    } finally {
      $("suggest-save").disabled = false;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("suggest-form").addEventListener("submit", runSuggest);
    $("save-form").addEventListener("submit", save);
    $("highlighted").addEventListener("click", toggleFromMark);
    $("highlighted-title").addEventListener("click", toggleFromMark);
  });
})();
