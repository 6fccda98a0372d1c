// clientledger's own script: the one dialog, "..." menus, tooltip dismissal and form niceties.
// htmx loads dialog content into #dialog-slot; everything else is plain server-rendered HTML.
(function () {
  "use strict";

  var opener = null;

  function dialog() { return document.getElementById("dialog"); }
  function slot() { return document.getElementById("dialog-slot"); }

  function focusFirstField(root) {
    var target = root.querySelector("[data-autofocus]") ||
      root.querySelector("input:not([type=hidden]):not([disabled]), select, textarea, button[type=submit]");
    if (target) { target.focus(); }
  }

  // ---- the dialog -------------------------------------------------------------------------
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.getAttribute && elt.getAttribute("hx-target") === "#dialog-slot") {
      var menu = elt.closest("[role=menu]");
      opener = menu ? document.getElementById(menu.getAttribute("aria-labelledby")) : elt;
      if (menu) { closeMenu(menu, false); }
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var d = dialog();
    if (!d) { return; }
    if (target === slot()) {
      if (!d.open) { d.showModal(); }
      focusFirstField(slot());
      wireForms(slot());
    } else if (d.open) {
      // A form swapped in again with the reason it was refused (outerHTML: the old target is gone).
      var error = d.querySelector(".error");
      if (error) { error.focus(); } else { focusFirstField(d); }
      wireForms(d);
    }
  });

  document.addEventListener("htmx:responseError", function () {
    var alert = document.getElementById("page-alert");
    if (alert) {
      alert.textContent = "Something went wrong on our side; nothing more was done. Please try again.";
    }
  });

  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      var d = dialog();
      if (d && d.open) { d.close(); }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var d = dialog();
    if (d) {
      d.addEventListener("close", function () {
        slot().innerHTML = "";
        if (opener && document.body.contains(opener)) { opener.focus(); }
        opener = null;
      });
    }
    document.querySelectorAll(".menu-wrap [role=menu]").forEach(function (m) { setOpen(m, false); });
    wireForms(document);
  });

  // ---- "..." menus (WAI-ARIA menu button) -------------------------------------------------
  // The menu is a <details>: without JavaScript its <summary> opens it and its items are plain
  // links to the full-page forms. With JavaScript the script keeps the details, the menu's hidden
  // attribute and aria-expanded in step, and the items open the dialog.
  function menuOf(button) { return document.getElementById(button.getAttribute("aria-controls")); }
  function setOpen(menu, open) {
    menu.hidden = !open;
    var wrap = menu.closest("details");
    if (wrap) { wrap.open = open; }
  }
  function items(menu) { return Array.prototype.slice.call(menu.querySelectorAll("[role=menuitem]")); }

  function openMenu(button, which) {
    document.querySelectorAll("[role=menu]:not([hidden])").forEach(function (m) { closeMenu(m, false); });
    var menu = menuOf(button);
    setOpen(menu, true);
    button.setAttribute("aria-expanded", "true");
    var list = items(menu);
    if (list.length) { (which === "last" ? list[list.length - 1] : list[0]).focus(); }
  }

  function closeMenu(menu, refocus) {
    setOpen(menu, false);
    var button = document.getElementById(menu.getAttribute("aria-labelledby"));
    if (button) {
      button.setAttribute("aria-expanded", "false");
      if (refocus) { button.focus(); }
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[aria-haspopup=menu]");
    if (button) {
      event.preventDefault();  // a <summary> would toggle its <details> on its own
      if (button.getAttribute("aria-expanded") === "true") { closeMenu(menuOf(button), true); }
      else { openMenu(button, "first"); }
      return;
    }
    if (!event.target.closest("[role=menu]")) {
      document.querySelectorAll("[role=menu]:not([hidden])").forEach(function (m) { closeMenu(m, false); });
    }
  });

  document.addEventListener("keydown", function (event) {
    // A link that looks and is named like a button (it opens a dialog) takes Space as a button does.
    if (event.key === " " && event.target.matches && event.target.matches("a[role=button]")) {
      event.preventDefault();
      event.target.click();
      return;
    }
    var button = event.target.closest && event.target.closest("[aria-haspopup=menu]");
    if (button && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      openMenu(button, event.key === "ArrowUp" ? "last" : "first");
      return;
    }
    var menu = event.target.closest && event.target.closest("[role=menu]");
    if (menu) {
      var list = items(menu);
      var at = list.indexOf(document.activeElement);
      if (event.key === "ArrowDown") { event.preventDefault(); list[(at + 1) % list.length].focus(); }
      else if (event.key === "ArrowUp") { event.preventDefault(); list[(at - 1 + list.length) % list.length].focus(); }
      else if (event.key === "Home") { event.preventDefault(); list[0].focus(); }
      else if (event.key === "End") { event.preventDefault(); list[list.length - 1].focus(); }
      else if (event.key === "Escape") { event.preventDefault(); closeMenu(menu, true); }
      else if (event.key === "Tab") { closeMenu(menu, false); }
      return;
    }
    if (event.key === "Escape") {
      // Dismiss a tooltip shown by hover or focus without moving focus (WCAG 1.4.13).
      document.querySelectorAll(".tip").forEach(function (tip) {
        if (tip.matches(":hover") || tip.matches(":focus-within")) { tip.classList.add("tip-dismissed"); }
      });
    }
  });

  function undismiss(event) {
    var tip = event.target.closest && event.target.closest(".tip");
    if (tip) { tip.classList.remove("tip-dismissed"); }
  }
  document.addEventListener("focusin", undismiss);
  document.addEventListener("mouseover", function (event) {
    var tip = event.target.closest && event.target.closest(".tip");
    if (tip && !tip.contains(event.relatedTarget)) { tip.classList.remove("tip-dismissed"); }
  });

  // ---- forms ------------------------------------------------------------------------------
  // Dollars as people type them ("30", "1,234.56", "$30.5") to cents, as kit.money.parse_dollars reads them.
  function dollarsToCents(text) {
    var m = /^\s*\$?\s*(\d{1,3}(?:,\d{3})*|\d+)?(?:\.(\d{1,2}))?\s*$/.exec(text);
    if (!m || (m[1] === undefined && m[2] === undefined)) { return null; }
    return parseInt((m[1] || "0").replace(/,/g, ""), 10) * 100 + parseInt(((m[2] || "0") + "0").slice(0, 2), 10);
  }

  function formatCents(cents) {
    var whole = Math.floor(cents / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var frac = ("0" + (cents % 100)).slice(-2);
    return "$" + whole + "." + frac;
  }

  function wireForms(root) {
    // Add payment: "Deduct from credit balance?" belongs to Client Credit/Discount, the card choice to cards.
    root.querySelectorAll("select[data-payment-type]").forEach(function (select) {
      var form = select.form;
      function sync() {
        form.querySelectorAll("[data-for-type]").forEach(function (el) {
          el.hidden = el.getAttribute("data-for-type") !== select.value;
        });
      }
      select.addEventListener("change", sync);
      sync();
    });
    // Add payment: say as the amount is typed how much of a card/cash/check payment becomes credit.
    // (The server asks for the same confirmation; this only says it sooner.)
    root.querySelectorAll("input[data-balance-due]").forEach(function (input) {
      var note = input.form.querySelector("[data-overpay-note]");
      var type = input.form.querySelector("select[data-payment-type]");
      var due = parseInt(input.getAttribute("data-balance-due"), 10);
      function sync() {
        var cents = dollarsToCents(input.value);
        var excess = cents === null || (type && type.value === "client_credit") ? 0 : cents - due;
        note.textContent = excess > 0 ? formatCents(excess) + " of this goes to credit." : "";
      }
      input.addEventListener("input", sync);
      if (type) { type.addEventListener("change", sync); }
      if (note && !note.textContent) { sync(); }
    });
    // Refund: typing an amount means a custom amount.
    root.querySelectorAll("input[data-custom-amount]").forEach(function (input) {
      input.addEventListener("input", function () {
        var radio = document.getElementById(input.getAttribute("data-custom-amount"));
        if (radio) { radio.checked = true; }
      });
    });
  }
})();
