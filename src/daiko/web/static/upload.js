// Document upload: hash in the browser, ask the API for a presigned form, send the bytes
// straight to the store with a progress bar, then ask the API to verify them.
// No framework, no build step. Strings come from data-* attributes (translated server-side).
(function () {
  "use strict";
  function hex(buffer) {
    return Array.from(new Uint8Array(buffer)).map(function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }
  function sameOrigin(url) {
    try { return new URL(url, location.href).origin === location.origin; } catch (e) { return false; }
  }
  function problemText(body, fallback) {
    if (body && body.errors && body.errors.length) {
      return body.errors.map(function (e) { return e.field + ": " + e.reason; }).join("; ");
    }
    return (body && (body.detail || body.title)) || fallback;
  }
  function send(url, fields, file, headers, onProgress) {
    return new Promise(function (resolve, reject) {
      var form = new FormData();
      Object.keys(fields).forEach(function (k) { form.append(k, fields[k]); });
      form.append("file", file);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      Object.keys(headers).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) onProgress(e.loaded, e.total); };
      xhr.onload = function () { (xhr.status >= 200 && xhr.status < 300) ? resolve() : reject(new Error("HTTP " + xhr.status)); };
      xhr.onerror = function () { reject(new Error("network error")); };
      xhr.send(form);
    });
  }
  function setup(form) {
    var zone = form.querySelector("[data-dropzone]");
    var input = form.querySelector("input[type=file]");
    var bar = form.querySelector("progress");
    var status = form.querySelector("[data-status]");
    var csrf = form.dataset.csrf;
    function say(text, isError) { status.textContent = text; status.className = isError ? "error" : "muted"; }
    ["dragenter", "dragover"].forEach(function (t) {
      zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      if (e.dataTransfer.files.length) { input.files = e.dataTransfer.files; say(input.files[0].name); }
    });
    form.addEventListener("submit", async function (e) {
      e.preventDefault();
      var file = input.files[0];
      if (!file) { say(form.dataset.msgNoFile, true); return; }
      bar.value = 0; bar.hidden = false;
      try {
        say(form.dataset.msgHashing);
        var sha = hex(await crypto.subtle.digest("SHA-256", await file.arrayBuffer()));
        var data = new FormData(form);
        var body = {
          tenant_id: data.get("tenant_id"), title: data.get("title") || file.name,
          classification: data.get("classification"), retention_class: data.get("retention_class"),
          file: { filename: file.name, size: file.size, sha256: sha, content_type: file.type || "application/octet-stream" }
        };
        if (data.get("transaction_date")) body.transaction_date = data.get("transaction_date");
        if (data.get("amount")) body.amount = parseInt(data.get("amount"), 10);
        if (data.get("counterparty")) body.counterparty = data.get("counterparty");
        var created = await fetch("/api/v1/documents", {
          method: "POST", credentials: "same-origin",
          headers: { "content-type": "application/json", "x-csrf-token": csrf }, body: JSON.stringify(body)
        });
        var started = await created.json();
        if (!created.ok) { say(problemText(started, "HTTP " + created.status), true); bar.hidden = true; return; }
        say(form.dataset.msgUploading);
        var headers = sameOrigin(started.upload.url) ? { "x-csrf-token": csrf } : {};
        await send(started.upload.url, started.upload.fields, file, headers, function (done, total) {
          bar.max = total; bar.value = done;
        });
        var doc = started.document.id, n = started.version.n;
        var done = await fetch("/api/v1/documents/" + doc + "/versions/" + n + "/complete", {
          method: "POST", credentials: "same-origin", headers: { "x-csrf-token": csrf }
        });
        if (!done.ok) { say(problemText(await done.json(), "HTTP " + done.status), true); return; }
        say(form.dataset.msgDone);
        if (form.dataset.provideUrl) {
          // On a case page: the upload provides the checklist item it was made for.
          await fetch(form.dataset.provideUrl, {
            method: "POST", credentials: "same-origin", redirect: "manual",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ csrf_token: csrf, document_id: doc })
          });
          location.href = form.dataset.next || location.href;
          location.reload();  // the next address may differ only by its #fragment
          return;
        }
        location.href = "/documents/" + doc;
      } catch (err) {
        say(form.dataset.msgFailed + " (" + err.message + ")", true);
      }
    });
  }
  document.querySelectorAll("form[data-upload]").forEach(setup);
})();
