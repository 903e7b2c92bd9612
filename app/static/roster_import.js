// Roster import: while a long upload or import runs, show the form's "please wait" notice
// and disable its buttons so that it is not sent twice. A form opts in with
// data-busy-notice="<id of the notice element>"; no inline event handlers are used.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var noticeId = form.getAttribute && form.getAttribute("data-busy-notice");
    if (!noticeId) {
      return;
    }
    var notice = document.getElementById(noticeId);
    if (notice) {
      notice.hidden = false;
    }
    var buttons = form.querySelectorAll("button[type=submit]");
    for (var i = 0; i < buttons.length; i += 1) {
      buttons[i].disabled = true;
    }
  });
}());
