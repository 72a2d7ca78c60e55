/* The resident pages' one script; every page works without it.

   Read aloud (朗读): the button is in the page hidden and shown only where the browser can speak,
   so no one is offered a button that does nothing. It reads the page's [data-read] parts (else
   its article) in document order, each piece in the language marked on it (Chinese content is
   lang="zh-CN" even on the English interface, so it gets a Chinese voice), and a table row by
   row as "header: cell" pairs ("项目：上垟路，支出：86,400.00元").

   The way home: a resident who came from their plate is taken back to it, address and all. The
   plate page keeps its own path in this tab's sessionStorage, which never leaves the phone (no
   cookie, no link carries it) and is gone when the tab closes; other pages point their
   [data-home] link at it. Without JavaScript that link goes to the village's home. */
(function () {
  "use strict";
  var PLATE = /^\/P\/[0-9A-Za-z]{8,40}$/;

  function wayHome() {
    try {
      if (PLATE.test(window.location.pathname)) {
        window.sessionStorage.setItem("plate", window.location.pathname);
        return;
      }
      var plate = window.sessionStorage.getItem("plate");
      if (plate && PLATE.test(plate)) {
        Array.prototype.forEach.call(document.querySelectorAll("a[data-home]"), function (a) {
          a.setAttribute("href", plate);
        });
      }
    } catch (e) {
      // Storage refused (private mode): the link stays the village's home.
    }
  }

  function clean(text) {
    return (text || "").replace(/\s+/g, " ").trim();
  }

  function langOf(node) {
    var marked = node.closest ? node.closest("[lang]") : null;
    return (marked && marked.getAttribute("lang")) || "zh-CN";
  }

  // "收入（元）" as a header: the unit goes after the figure, "收入：120,000.00元".
  var UNIT = /\s*[（(]\s*(元|万元|%|人|户)\s*[)）]\s*$/;

  function rowText(row, header) {
    var parts = [];
    Array.prototype.forEach.call(row.cells, function (cell, i) {
      var value = clean(cell.innerText);
      if (!value) {
        return;
      }
      var name = header[i] || "";
      var unit = name.match(UNIT);
      if (unit) {
        name = name.replace(UNIT, "");
        if (!/[元%人户]$/.test(value)) {
          value += unit[1];
        }
      }
      parts.push(name ? name + "：" + value : value);
    });
    return parts.join("，") + "。";
  }

  function tableText(table) {
    var lines = [];
    if (table.caption) {
      lines.push(clean(table.caption.innerText));
    }
    var rows = Array.prototype.slice.call(table.rows);
    var head = table.tHead && table.tHead.rows.length ? table.tHead.rows[0] : null;
    if (!head && rows.length && rows[0].querySelector("th")) {
      head = rows[0];
    }
    var header = head
      ? Array.prototype.map.call(head.cells, function (cell) { return clean(cell.innerText); })
      : [];
    rows.forEach(function (row) {
      if (row !== head) {
        lines.push(rowText(row, header));
      }
    });
    return lines.join("\n");
  }

  var SKIP = "button, form, nav, .swipe-hint, .meta, [hidden], script, style";

  // Pieces of [text, lang] in reading order.
  function pieces(root, out) {
    Array.prototype.forEach.call(root.childNodes, function (node) {
      if (node.nodeType === 3) {
        var text = clean(node.nodeValue);
        if (text) {
          out.push([text, langOf(root)]);
        }
      } else if (node.nodeType === 1 && !node.matches(SKIP)) {
        if (node.tagName === "TABLE") {
          out.push([tableText(node), langOf(node)]);
        } else {
          var block = !/^(A|SPAN|STRONG|EM|B|I|U|S|TIME|ABBR|CODE|SMALL|MARK|SUB|SUP|DEL|INS|BR)$/.test(node.tagName);
          pieces(node, out);
          if (block && out.length) {
            out.push(["\n", null]);
          }
        }
      }
    });
    return out;
  }

  // Words of a Latin script need a space between them; Chinese characters and line ends do not.
  function joiner(before, after) {
    return /[A-Za-z0-9.,;:!?)]$/.test(before) && /^[A-Za-z0-9(]/.test(after) ? " " : "";
  }

  // Consecutive pieces in one language make one utterance.
  function utterances() {
    var roots = document.querySelectorAll("[data-read]");
    if (!roots.length) {
      roots = document.querySelectorAll("main article");
    }
    var said = [];
    Array.prototype.forEach.call(roots, function (root) {
      pieces(root, []).concat([["\n", null]]).forEach(function (piece) {
        var last = said[said.length - 1];
        if (piece[1] === null) {
          if (last && !/\n$/.test(last.text)) {
            last.text += "\n";
          }
        } else if (last && last.lang === piece[1]) {
          last.text += joiner(last.text, piece[0]) + piece[0];
        } else {
          said.push({ text: piece[0], lang: piece[1] });
        }
      });
    });
    return said.filter(function (u) { return clean(u.text); });
  }

  function readAloud() {
    var button = document.getElementById("read-aloud");
    if (!button || !window.speechSynthesis || typeof window.SpeechSynthesisUtterance !== "function") {
      return;
    }
    var synth = window.speechSynthesis;
    var readLabel = button.textContent;
    var stopLabel = button.getAttribute("data-stop");
    var queue = []; // the utterances still to end; reading while not empty

    function stopped() {
      queue = [];
      button.textContent = readLabel;
    }

    button.addEventListener("click", function () {
      var wasReading = queue.length > 0;
      stopped();
      synth.cancel();
      if (wasReading) {
        return;
      }
      queue = utterances().map(function (piece) {
        var utterance = new window.SpeechSynthesisUtterance(piece.text.trim());
        utterance.lang = piece.lang;
        return utterance;
      });
      var last = queue[queue.length - 1];
      if (!last) {
        return;
      }
      // A cancelled utterance ends late: only the last one being read may reset the button.
      last.onend = last.onerror = function () {
        if (queue[queue.length - 1] === last) {
          stopped();
        }
      };
      button.textContent = stopLabel;
      queue.forEach(function (utterance) { synth.speak(utterance); });
    });
    // Leaving the page stops the voice; it would otherwise go on over the next page.
    window.addEventListener("pagehide", function () {
      synth.cancel();
    });
    button.hidden = false;
  }

  wayHome();
  readAloud();
})();
