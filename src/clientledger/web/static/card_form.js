// "Add card" with Stripe: Stripe Elements collects the card in Stripe's own frame, confirmCardSetup
// saves it on the client's Stripe customer (the SetupIntent), and the form posts us only the
// payment method id Stripe made. The card number never reaches clientledger.
(function () {
  "use strict";

  var TRIES = 100; // Stripe.js loads next to this file: wait for it, a little

  function mount(form, tries) {
    if (form.getAttribute("data-mounted")) { return; }
    if (typeof window.Stripe !== "function") {
      if (tries > 0) { window.setTimeout(function () { mount(form, tries - 1); }, 100); }
      return;
    }
    form.setAttribute("data-mounted", "true");
    var stripe = window.Stripe(form.getAttribute("data-publishable-key"));
    var card = stripe.elements().create("card");
    card.mount(form.querySelector("[data-card-element]"));
    var errors = form.querySelector("[data-card-errors]");
    var submit = form.querySelector("button[type=submit]");

    function say(message) {
      errors.textContent = message || "";
      errors.hidden = !message;
    }

    card.on("change", function (event) { say(event.error ? event.error.message : ""); });
    form.addEventListener("submit", function (event) {
      var field = form.querySelector("input[name=payment_method]");
      if (field.value) { return; }
      event.preventDefault();
      submit.disabled = true;
      stripe.confirmCardSetup(form.getAttribute("data-client-secret"), {
        payment_method: { card: card, billing_details: { name: form.getAttribute("data-client-name") } }
      }).then(function (result) {
        if (result.error) {
          say(result.error.message);
          submit.disabled = false;
          return;
        }
        field.value = result.setupIntent.payment_method;
        form.submit();
      });
    });
  }

  function mountAll() {
    var forms = document.querySelectorAll("form[data-stripe-card-form]");
    for (var i = 0; i < forms.length; i++) { mount(forms[i], TRIES); }
  }

  mountAll();
  document.addEventListener("DOMContentLoaded", mountAll);
  document.addEventListener("htmx:afterSettle", mountAll);
})();
