// Bel-me-nu: the web callback button a company embeds on its own site (docs/group-services.md).
//   <script src="https://PBX/belmenu/button.js" data-button="BUTTON-ID" defer></script>
// It renders a form right after its script tag and posts the visitor's number to the PBX.
// No inline script or style is needed by the host page (CSP-friendly): style it through the
// classes belmenu, belmenu-number, belmenu-call and belmenu-status.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.button) {
    return;
  }
  var endpoint = new URL(
    "/api/v1/public/belmenu/" + encodeURIComponent(script.dataset.button),
    script.src
  ).href;
  var texts = {
    label: script.dataset.label || "Bel mij terug",
    placeholder: script.dataset.placeholder || "Uw telefoonnummer",
    calling: script.dataset.calling || "We bellen u zo terug.",
    failed: script.dataset.failed || "Dat lukte niet, probeer het later nog eens.",
  };

  var form = document.createElement("form");
  form.className = "belmenu";
  var number = document.createElement("input");
  number.type = "tel";
  number.name = "number";
  number.required = true;
  number.autocomplete = "tel";
  number.maxLength = 32;
  number.placeholder = texts.placeholder;
  number.className = "belmenu-number";
  number.setAttribute("aria-label", texts.placeholder);
  var call = document.createElement("button");
  call.type = "submit";
  call.className = "belmenu-call";
  call.textContent = texts.label;
  var status = document.createElement("output");
  status.className = "belmenu-status";
  status.setAttribute("aria-live", "polite");
  form.append(number, call, status);
  script.after(form);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    call.disabled = true;
    status.textContent = "";
    fetch(endpoint, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ number: number.value }),
    })
      .then(function (reply) {
        return reply.json().then(function (body) {
          if (reply.ok) {
            status.textContent = texts.calling;
            form.dataset.state = "calling";
            return;
          }
          // The endpoint names what to fix (a bad number, too many requests): show it.
          var reason = body && body.detail && body.detail.reason;
          status.textContent = reason || texts.failed;
          form.dataset.state = "refused";
          call.disabled = false;
        });
      })
      .catch(function () {
        status.textContent = texts.failed;
        form.dataset.state = "failed";
        call.disabled = false;
      });
  });
})();
