// Progressive enhancement for the moderation queue and the decision screen. Without it everything still works:
// each decision is a form post that comes back to the next card, "Select all" is a link, Reject opens a <details>.
// With it: decisions are sent with fetch (the same endpoints answer JSON when asked) and the page stays where it
// is; keyboard shortcuts j/k/x/a/r/? move, select and decide; the bulk bar counts the selection.
(function () {
  "use strict";

  var JSON_HEADERS = { Accept: "application/json" };

  function cards() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-card]"));
  }

  function currentCard() {
    var active = document.activeElement;
    var card = active && active.closest ? active.closest("[data-card]") : null;
    return card || document.querySelector(".card--current");
  }

  function focusCard(card) {
    if (!card) return;
    cards().forEach(function (other) { other.classList.toggle("card--current", other === card); });
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var all = cards();
    if (!all.length) return;
    var index = all.indexOf(currentCard());
    var next = index < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(Math.max(index + step, 0), all.length - 1);
    focusCard(all[next]);
  }

  // A sentence with a number, in the page's language: the element's data-forms holds the sentence in each plural
  // form of the language (the template renders them translated, with "{n}" for the number); Intl.PluralRules says
  // which form `n` takes.
  function counted(element, n) {
    var forms = {};
    try {
      forms = JSON.parse(element.getAttribute("data-forms") || "{}");
    } catch (error) {
      forms = {};
    }
    var language = document.documentElement.lang || "en";
    var category = window.Intl && Intl.PluralRules ? new Intl.PluralRules(language).select(n) : n === 1 ? "one" : "other";
    var number = window.Intl && Intl.NumberFormat ? new Intl.NumberFormat(language).format(n) : String(n);
    return (forms[category] || forms.other || forms.many || "").replace("{n}", number);
  }

  function selectedBoxes() {
    return Array.prototype.slice.call(document.querySelectorAll('input[name="comment_ids"]:checked'));
  }

  function updateCount() {
    var counter = document.querySelector("[data-selected-count]");
    var all = document.querySelectorAll('input[name="comment_ids"]');
    var link = document.querySelector("[data-select-all]");
    var selected = selectedBoxes().length;
    if (counter) counter.textContent = selected ? counted(counter, selected) : "";
    if (link) {
      var clear = selected && selected === all.length;
      link.textContent = link.getAttribute(clear ? "data-clear-text" : "data-select-text") || link.textContent;
    }
  }

  // --- announcing -------------------------------------------------------------------------------------------

  // The decision's outcome in the bulk bar, which stays in view; the page's count and the header's badge follow.
  function announce(text, pending, decided) {
    var message = document.querySelector("[data-announce]");
    if (message) message.textContent = text;
    // The page's count, when it is a number (not "more than 10,000"), in the sentence's form for what is left.
    var status = document.getElementById("queue-status");
    var count = status && status.getAttribute("data-count");
    if (count && decided) {
      var left = Math.max(parseInt(count, 10) - decided, 0);
      status.setAttribute("data-count", String(left));
      status.textContent = counted(status, left);
    }
    var badge = document.querySelector(".site-nav .badge");
    if (badge && pending && badge.firstChild && badge.firstChild.nodeType === 3) badge.firstChild.nodeValue = pending;
  }

  // `field` ("reason" or "note", from the server) is what the message is about: the reject panel opens there.
  function showCardError(card, message, field) {
    if (!card) {
      announce(message);
      return;
    }
    var error = card.querySelector(".card__error");
    if (!error) {
      error = document.createElement("p");
      error.className = "field-error card__error";
      error.setAttribute("role", "alert");
      var meta = card.querySelector(".card__meta");
      meta.parentNode.insertBefore(error, meta.nextSibling);
    }
    error.textContent = message;
    card.classList.add("card--error");
    var panel = card.querySelector(".reject-panel");
    var control = field === "reason" || field === "note" ? card.querySelector('[name="' + field + '"]') : null;
    if (panel && control) {
      panel.open = true;
      control.focus();
    } else {
      focusCard(card);
    }
  }

  // --- deciding without reloading ----------------------------------------------------------------------------

  function removeCards(references) {
    var all = cards();
    var current = currentCard();
    var after = null;
    if (current) {
      // Focus goes to the next card that stays (or the one before, at the end of the page): never to the top.
      var index = all.indexOf(current);
      var later = all.slice(index + 1).concat(all.slice(0, index).reverse());
      after = later.filter(function (card) { return references.indexOf(card.id) < 0; })[0] || null;
    }
    all.forEach(function (card) {
      if (references.indexOf(card.id) >= 0) card.parentNode.removeChild(card);
    });
    updateCount();
    if (!cards().length) {
      var done = document.getElementById("queue-done");
      var controls = document.querySelector(".bulk-bar__row");
      if (controls) controls.hidden = true;
      if (done) {
        done.hidden = false;
        done.focus();
      }
      return;
    }
    focusCard(after || cards()[0]);
  }

  function send(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var buttons = form.querySelectorAll("button");
    Array.prototype.forEach.call(buttons, function (button) { button.disabled = true; });
    var card = form.closest("[data-card]");
    if (card) focusCard(card);
    fetch(form.action, { method: "POST", body: data, headers: JSON_HEADERS, credentials: "same-origin" })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") < 0) throw new Error("not JSON");
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (result) {
        Array.prototype.forEach.call(buttons, function (button) { button.disabled = false; });
        if (result.ok) {
          announce(result.body.message, result.body.pending, result.body.decided.length);
          removeCards(result.body.decided);
        } else {
          var target = result.body.reference ? document.getElementById(result.body.reference) : card;
          showCardError(target || card, result.body.error, result.body.field);
        }
      })
      .catch(function () {
        // Whatever went wrong (network, a log-in page), the ordinary form post knows how to say it.
        form.setAttribute("data-plain", "");
        Array.prototype.forEach.call(buttons, function (button) { button.disabled = false; });
        if (form.requestSubmit) form.requestSubmit(submitter || undefined);
        else form.submit();
      });
  }

  function interceptDecisions() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.matches("[data-decision-form], [data-bulk-form]") || form.hasAttribute("data-plain")) return;
      event.preventDefault();
      send(form, event.submitter);
    });
  }

  // --- selection -------------------------------------------------------------------------------------------

  function setUpSelection() {
    var link = document.querySelector("[data-select-all]");
    if (link) {
      link.setAttribute("role", "button");
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var boxes = document.querySelectorAll('input[name="comment_ids"]');
        var all = selectedBoxes().length === boxes.length;
        Array.prototype.forEach.call(boxes, function (box) { box.checked = !all; });
        updateCount();
      });
    }
    document.addEventListener("change", function (event) {
      if (event.target.name === "comment_ids") updateCount();
    });
    updateCount();
  }

  // --- keyboard ----------------------------------------------------------------------------------------------

  function typing(element) {
    if (!element) return false;
    var tag = element.tagName;
    return tag === "INPUT" && element.type !== "checkbox" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  function toggleHelp() {
    var dialog = document.getElementById("shortcuts");
    if (!dialog || !dialog.showModal) return;
    if (dialog.open) dialog.close();
    else dialog.showModal();
  }

  var ACTIONS = {
    j: function () { move(1); },
    k: function () { move(-1); },
    x: function (card) {
      var box = card && card.querySelector('input[name="comment_ids"]');
      if (box) {
        box.checked = !box.checked;
        updateCount();
      }
    },
    a: function (card) {
      var approve = card && card.querySelector("[data-approve]");
      if (approve && !approve.disabled) send(approve.form, approve);
    },
    r: function (card) {
      var panel = card && card.querySelector(".reject-panel");
      if (!panel) return;
      panel.open = true;
      panel.querySelector('select[name="reason"]').focus();
    },
  };

  function setUpKeyboard() {
    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      var dialog = document.getElementById("shortcuts");
      if (event.key === "?") {
        event.preventDefault();
        toggleHelp();
        return;
      }
      if (event.shiftKey || (dialog && dialog.open) || !ACTIONS.hasOwnProperty(event.key)) return;
      event.preventDefault();
      var card = currentCard();
      if (!card && event.key !== "j" && event.key !== "k") return;
      ACTIONS[event.key](card);
    });
    var open = document.querySelector("[data-shortcuts-open]");
    if (open) open.addEventListener("click", toggleHelp);
  }

  // --- the decision screen: bring the quoted passage into view ----------------------------------------------

  function showQuote() {
    var text = document.querySelector(".review__text");
    var mark = text && text.querySelector("mark");
    if (mark) text.scrollTop = Math.max(mark.offsetTop - text.offsetTop - 48, 0);
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (element) { element.hidden = false; });
    if (document.getElementById("queue-list")) {
      interceptDecisions();
      setUpSelection();
      setUpKeyboard();
    }
    showQuote();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
