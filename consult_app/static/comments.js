// Progressive enhancement for section pages: everything here also works without JavaScript
// (the quote is a plain field, the character limit is enforced by the server and by maxlength).
(function () {
  "use strict";

  function normalise(text) {
    return text.replace(/\s+/g, " ").trim();
  }

  // "N of 10,000 characters" under the comment field.
  function setUpCounter() {
    var body = document.getElementById("body");
    var counter = document.getElementById("body-count");
    if (!body || !counter) return;
    var limit = parseInt(counter.getAttribute("data-limit"), 10);
    function update() {
      counter.textContent = body.value.length.toLocaleString("en") + " of " + limit.toLocaleString("en") + " characters";
    }
    body.addEventListener("input", update);
    update();
  }

  // Selecting text in the section offers "Comment on this passage", which fills the quote field.
  function setUpQuoting() {
    var text = document.querySelector("[data-quote-target]");
    var quote = document.getElementById("quote");
    var body = document.getElementById("body");
    if (!text || !quote || !body) return;
    var bar = document.createElement("div");
    bar.className = "quote-bar";
    bar.hidden = true;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = "Comment on this passage";
    bar.appendChild(button);
    text.parentNode.insertBefore(bar, text.nextSibling);
    var selected = "";

    document.addEventListener("selectionchange", function () {
      var selection = window.getSelection();
      if (!selection || selection.isCollapsed || selection.rangeCount === 0) return;
      var range = selection.getRangeAt(0);
      if (!text.contains(range.commonAncestorContainer)) return;
      selected = normalise(selection.toString());
      bar.hidden = selected.length === 0;
    });
    button.addEventListener("click", function () {
      if (!selected) return;
      quote.value = selected.slice(0, parseInt(quote.getAttribute("maxlength") || "2000", 10));
      bar.hidden = true;
      body.focus();
    });
  }

  // Mark the quoted passages of published comments in the section text.
  function highlightQuotes() {
    var text = document.getElementById("section-text");
    if (!text) return;
    var quotes = document.querySelectorAll(".comment--approved .comment__quote[data-quote]");
    Array.prototype.forEach.call(quotes, function (element) {
      var wanted = normalise(element.getAttribute("data-quote"));
      if (wanted) markFirst(text, wanted, element.closest(".comment").id);
    });
  }

  function markFirst(root, wanted, reference) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var node;
    while ((node = walker.nextNode())) {
      var at = node.nodeValue.replace(/\s+/g, " ").indexOf(wanted);
      if (at < 0 || node.nodeValue.replace(/\s+/g, " ").length !== node.nodeValue.length) continue;
      var match = node.splitText(at);
      match.splitText(wanted.length);
      var mark = document.createElement("mark");
      mark.className = "quoted";
      mark.title = "Quoted in comment " + reference;
      match.parentNode.replaceChild(mark, match);
      mark.appendChild(match);
      return;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpCounter();
    setUpQuoting();
    highlightQuotes();
  });
})();
