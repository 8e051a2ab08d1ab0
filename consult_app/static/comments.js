// Progressive enhancement for the section, reply and edit pages. Everything here also works without JavaScript:
// the quote is a plain field, "Comment on this paragraph" is a link to the form at the end of the section, the
// Reply link opens the reply page, forms are sent the ordinary way, and the server enforces every limit.
// The Content-Security-Policy allows no inline style: positions are set through the CSSOM (element.style).
// Words the script writes come from the page, in its language: the data-text-* attributes of the form box's
// [data-comment-texts] (comments/_form.html) and the counter's data-text; English is only the fallback.
(function () {
  "use strict";

  var FRAGMENT_HEADER = "Consult-Fragment";
  var WIDE = window.matchMedia("(min-width: 64rem)");
  var LANGUAGE = document.documentElement.lang || "en";

  // The text `name` (data-text-<name>) of a form box, or of the page's first one, with {placeholders} filled in.
  function say(panel, name, fallback, values) {
    var holder = (panel && panel.querySelector("[data-comment-texts]")) || document.querySelector("[data-comment-texts]");
    var text = (holder && holder.getAttribute("data-text-" + name)) || fallback;
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("{" + key + "}").join(values[key]);
    });
    return text;
  }

  function sectionPanel() {
    return document.getElementById("comment-panel");
  }

  function normalise(text) {
    return text.replace(/\s+/g, " ").trim();
  }

  function quoteLimit(field) {
    return parseInt(field.getAttribute("maxlength") || "2000", 10);
  }

  // --- "N of 10,000 characters" under every comment field ---------------------------------------------------

  function setUpCounters(root) {
    Array.prototype.forEach.call(root.querySelectorAll(".char-count[data-for]"), function (counter) {
      var body = document.getElementById(counter.getAttribute("data-for"));
      if (!body) return;
      var limit = parseInt(counter.getAttribute("data-limit"), 10);
      var text = counter.getAttribute("data-text") || "{count} of " + limit.toLocaleString("en") + " characters";
      function update() {
        counter.textContent = text.split("{count}").join(body.value.length.toLocaleString(LANGUAGE));
      }
      body.addEventListener("input", update);
      update();
    });
  }

  // --- forms sent with fetch: the answer replaces the form's box where it is --------------------------------

  function focusAnswer(panel) {
    var target = panel.querySelector("[data-focus]");
    if (!target) {
      var field = panel.querySelector("textarea:not([name=quote])");
      target = field || panel;
    }
    target.scrollIntoView({block: "start", behavior: "instant"});
    target.focus({preventScroll: true});
  }

  function problemBox(panel, message) {
    var box = panel.querySelector(".form-panel__problem");
    if (!box) {
      box = document.createElement("p");
      box.className = "form-panel__problem";
      box.setAttribute("role", "alert");
      box.tabIndex = -1;
      panel.insertBefore(box, panel.firstChild);
    }
    box.textContent = message;
    box.focus();
  }

  function errorMessage(panel, response, text) {
    // The app's error pages say what went wrong in their lead paragraph.
    var page = new DOMParser().parseFromString(text, "text/html");
    var lead = page.querySelector("main .lead");
    var said = lead
      ? normalise(lead.textContent)
      : say(panel, "error", "Something went wrong (error {status}).", {status: response.status});
    return said + " " + say(panel, "unsent", "Nothing was sent; your text is still here.");
  }

  function replacePanel(panel, html) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    var fresh = holder.content.firstElementChild;
    if (!fresh || !fresh.hasAttribute("data-form-panel")) return null;
    panel.replaceWith(fresh);
    enhance(fresh);
    return fresh;
  }

  function sendInPlace(form, submitter) {
    var panel = form.closest("[data-form-panel]");
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var headers = {};
    headers[FRAGMENT_HEADER] = "1";
    form.setAttribute("aria-busy", "true");
    fetch(form.action.split("#")[0], {method: "POST", body: data, headers: headers, credentials: "same-origin"})
      .then(function (response) {
        return response.text().then(function (text) {
          form.removeAttribute("aria-busy");
          var fresh = response.headers.get(FRAGMENT_HEADER) === "1" ? replacePanel(panel, text) : null;
          if (fresh) focusAnswer(fresh);
          else problemBox(panel, errorMessage(panel, response, text));
        });
      })
      .catch(function () {
        form.removeAttribute("aria-busy");
        problemBox(panel, say(panel, "offline", "The connection failed. Nothing was sent; your text is still here. Try again."));
      });
  }

  function setUpForms(root) {
    Array.prototype.forEach.call(root.querySelectorAll("form[data-fragment-form]"), function (form) {
      form.addEventListener("submit", function (event) {
        if (!form.hasAttribute("data-fragment-form")) return;
        event.preventDefault();
        sendInPlace(form, event.submitter);
      });
    });
  }

  // --- where the section's form opens: beside a paragraph -------------------------------------------------

  // The box around the section's comment form when it is opened beside a paragraph (moved, not copied, so
  // that what was typed stays); "Close" puts it back at the end of the section.
  function openBeside(block, quoteText) {
    var panel = sectionPanel();
    if (!panel || !block) return;
    var home = document.getElementById("comment-panel-home");
    if (!home) {
      home = document.createElement("div");
      home.id = "comment-panel-home";
      panel.parentNode.insertBefore(home, panel);
    }
    var box = document.getElementById("margin-form");
    if (!box) {
      box = document.createElement("section");
      box.id = "margin-form";
      box.className = "margin-form";
      box.setAttribute("aria-labelledby", "margin-form-title");
      var title = document.createElement("h3");
      title.id = "margin-form-title";
      title.className = "margin-form__title";
      var close = document.createElement("button");
      close.type = "button";
      close.className = "button button--small button--secondary margin-form__close";
      close.textContent = say(panel, "close", "Close");
      close.addEventListener("click", function () {
        var current = document.getElementById("comment-panel");
        var from = box.parentNode && box.closest(".block");
        home.parentNode.insertBefore(current, home.nextSibling);
        box.remove();
        var back = from && from.querySelector(".block__comment");
        if (back) back.focus();
      });
      box.appendChild(title);
      box.appendChild(close);
    }
    box.querySelector("h3").textContent = say(panel, "paragraph", "Comment on paragraph {number}", {
      number: block.getAttribute("data-paragraph")
    });
    var margin = block.querySelector(".block__margin");
    if (!margin) {
      margin = document.createElement("div");
      margin.className = "block__margin";
      block.appendChild(margin);
    }
    margin.appendChild(box);
    box.appendChild(document.getElementById("comment-panel"));
    var current = document.getElementById("comment-panel");
    var quote = current.querySelector("textarea[name=quote]");
    if (quote && quoteText) quote.value = quoteText.slice(0, quoteLimit(quote));
    var body = current.querySelector("textarea[name=body]");
    if (body) {
      box.scrollIntoView({block: WIDE.matches ? "nearest" : "start", behavior: "instant"});
      body.focus({preventScroll: true});
    }
  }

  // The paragraph's own words as a quote, cut at a word to fit the quote field (the reviewer can shorten it).
  function paragraphQuote(block) {
    var text = normalise(block.querySelector(".block__text").textContent);
    var quote = document.querySelector("#comment-panel textarea[name=quote]");
    var limit = quote ? quoteLimit(quote) : 2000;
    if (text.length <= limit) return text;
    var cut = text.slice(0, limit);
    return cut.slice(0, cut.lastIndexOf(" ") > 0 ? cut.lastIndexOf(" ") : limit);
  }

  function setUpParagraphControls(text) {
    text.addEventListener("click", function (event) {
      var link = event.target.closest(".block__comment");
      if (!link) return;
      event.preventDefault();
      var block = link.closest(".block");
      openBeside(block, paragraphQuote(block));
    });
  }

  // --- "Comment on this passage" at the selection ---------------------------------------------------------

  function setUpSelectionControl(text) {
    var control = document.createElement("button");
    control.type = "button";
    control.className = "button selection-control";
    control.textContent = say(sectionPanel(), "passage", "Comment on this passage");
    control.hidden = true;
    var selected = "";
    var block = null;
    var scheduled = false;

    function hide() {
      control.hidden = true;
    }

    // Just under the selection's last line, or above its first when that would leave the screen; never past
    // the block's edges. Coordinates are relative to the block, which is position: relative.
    function place(range, owner) {
      // Right after the paragraph's text: Tab from a selection made with the keyboard reaches it first.
      var words = owner.querySelector(".block__text");
      if (words.nextSibling !== control) owner.insertBefore(control, words.nextSibling);
      control.hidden = false;
      var rects = range.getClientRects();
      var last = rects.length ? rects[rects.length - 1] : range.getBoundingClientRect();
      var first = rects.length ? rects[0] : last;
      var frame = owner.getBoundingClientRect();
      var height = control.offsetHeight;
      var width = control.offsetWidth;
      var top = last.bottom + 6;
      if (top + height > window.innerHeight && first.top - height - 6 > 0) top = first.top - height - 6;
      var left = Math.min(Math.max(last.right - width, frame.left), Math.max(frame.left, frame.right - width));
      left = Math.min(left, document.documentElement.clientWidth - width - 4);
      control.style.top = Math.round(top - frame.top) + "px";
      control.style.left = Math.round(Math.max(0, left - frame.left)) + "px";
    }

    function update() {
      scheduled = false;
      var selection = window.getSelection();
      if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
        if (document.activeElement !== control) hide();
        return;
      }
      var range = selection.getRangeAt(0);
      var owner = range.commonAncestorContainer;
      owner = (owner.nodeType === 1 ? owner : owner.parentNode).closest(".block");
      if (!owner || !text.contains(owner) || !owner.querySelector(".block__text").contains(range.commonAncestorContainer)) {
        if (document.activeElement !== control) hide();
        return;
      }
      selected = normalise(selection.toString());
      if (!selected) return hide();
      block = owner;
      place(range, owner);
    }

    document.addEventListener("selectionchange", function () {
      if (scheduled) return;
      scheduled = true;
      window.requestAnimationFrame(update);
    });
    // Pressing the control must not clear the selection it is about.
    control.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    control.addEventListener("click", function () {
      if (!selected || !block) return;
      hide();
      openBeside(block, selected);
    });
    control.addEventListener("keydown", function (event) {
      if (event.key === "Escape") hide();
    });
    // Tab from a selection made with the keyboard goes to its control, wherever the browser would have started.
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Tab" || event.shiftKey || control.hidden) return;
      // (Clicking in the text focuses <main>, which contains it: that is "in the text" too.)
      var active = document.activeElement;
      if (!block || (active && !active.contains(block) && !block.contains(active))) return;
      event.preventDefault();
      control.focus();
    });
  }

  // --- replies in place ------------------------------------------------------------------------------------

  function setUpReplies(root) {
    if (!document.getElementById("comment-panel")) return; // only for a reviewer while the section is open
    root.addEventListener("click", function (event) {
      var link = event.target.closest("a[href$='/reply']");
      if (!link || !root.contains(link)) return;
      var comment = link.closest(".comment");
      var open = comment && comment.parentNode.querySelector(":scope > [data-form-panel]");
      event.preventDefault();
      if (open) return focusAnswer(open);
      var headers = {};
      headers[FRAGMENT_HEADER] = "1";
      fetch(link.href, {headers: headers, credentials: "same-origin"}).then(function (response) {
        return response.text().then(function (html) {
          if (response.headers.get(FRAGMENT_HEADER) !== "1") {
            window.location.href = link.href;
            return;
          }
          var placeholder = document.createElement("div");
          placeholder.setAttribute("data-form-panel", "");
          comment.after(placeholder);
          var fresh = replacePanel(placeholder, html);
          if (fresh) focusAnswer(fresh);
        });
      });
    });
  }

  // --- a link to a comment folded in the margin opens its fold ---------------------------------------------

  function openTarget() {
    if (!window.location.hash) return;
    var target = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
    var fold = target && target.closest("details");
    if (fold && !fold.open) {
      fold.open = true;
      target.scrollIntoView({block: "start"});
    }
  }

  function enhance(root) {
    setUpCounters(root);
    setUpForms(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    var text = document.querySelector("[data-quote-target]");
    if (text && document.getElementById("comment-panel")) {
      setUpParagraphControls(text);
      setUpSelectionControl(text);
    }
    setUpReplies(document.querySelector("main") || document.body);
    openTarget();
    window.addEventListener("hashchange", openTarget);
  });
})();
