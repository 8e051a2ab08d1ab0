// Progressive enhancement for the whole-document page: the contents (a sticky column on wide screens) mark the
// section being read. Without JavaScript the contents are the same list of links, only unmarked.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var links = document.querySelectorAll(".toc a[data-anchor]");
    if (!links.length || !("IntersectionObserver" in window)) return;
    var byKey = {};
    var sections = [];
    Array.prototype.forEach.call(links, function (link) {
      var section = document.getElementById(link.getAttribute("data-anchor"));
      if (!section) return;
      byKey[section.id] = link;
      sections.push(section);
    });
    var visible = {};

    function mark() {
      // The first section in reading order with any part in the upper band of the screen is the current one.
      var current = null;
      for (var i = 0; i < sections.length; i++) {
        if (visible[sections[i].id]) {
          current = sections[i].id;
          break;
        }
      }
      if (!current) return;
      Object.keys(byKey).forEach(function (key) {
        var link = byKey[key];
        if (key === current) {
          link.setAttribute("aria-current", "location");
        } else {
          link.removeAttribute("aria-current");
        }
      });
    }

    var observer = new IntersectionObserver(
      function (entries) {
        entries.forEach(function (entry) {
          visible[entry.target.id] = entry.isIntersecting;
        });
        mark();
      },
      {rootMargin: "0px 0px -60% 0px"}
    );
    sections.forEach(function (section) {
      observer.observe(section);
    });
  });
})();
