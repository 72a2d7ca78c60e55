/* Read aloud (朗读) on a post page, with the browser's own speech synthesis.
   The button is in the page hidden; it is shown only where speech synthesis exists, so no one
   is offered a button that does nothing. Without JavaScript the page is simply read as text. */
(function () {
  "use strict";
  var button = document.getElementById("read-aloud");
  if (!button || !window.speechSynthesis || typeof window.SpeechSynthesisUtterance !== "function") {
    return;
  }
  var synth = window.speechSynthesis;
  var readLabel = button.textContent;
  var stopLabel = button.getAttribute("data-stop");
  var current = null; // the utterance being read, if any

  function stopped() {
    current = null;
    button.textContent = readLabel;
  }

  function text() {
    var title = document.querySelector("article h1");
    var body = document.querySelector("article .body");
    return [title ? title.innerText : "", body ? body.innerText : ""].join("\n");
  }

  button.addEventListener("click", function () {
    var wasReading = current !== null;
    stopped();
    synth.cancel();
    if (wasReading) {
      return;
    }
    var utterance = new window.SpeechSynthesisUtterance(text());
    utterance.lang = document.documentElement.lang || "zh-CN";
    // A cancelled utterance ends late: only the one being read may reset the button.
    utterance.onend = utterance.onerror = function () {
      if (current === utterance) {
        stopped();
      }
    };
    current = utterance;
    button.textContent = stopLabel;
    synth.speak(utterance);
  });
  // Leaving the page stops the voice; it would otherwise go on over the next page.
  window.addEventListener("pagehide", function () {
    synth.cancel();
  });
  button.hidden = false;
})();
