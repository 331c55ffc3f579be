/* The recommendation slip: a print button (the page itself is rendered on the server). */
(function () {
  "use strict";
  const button = document.getElementById("print-slip");
  if (button) button.addEventListener("click", () => window.print());
})();
