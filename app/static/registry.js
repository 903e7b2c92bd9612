// The site's own behaviour on FAB's pages. No inline handlers: the page's CSP admits only
// scripts from this site and those carrying the page's nonce.
(function ($) {
  "use strict";
  var script = document.currentScript;
  var language = (script && script.getAttribute("data-language")) || "zh-CN";

  // ------------------------------------------------------------ list actions
  // FAB's action menu (ab_actions.js) alerts "No row selected", untranslated, when nothing is
  // ticked; ab_alert is looked up when called, so the page's language can be put in.
  var noRow = script && script.getAttribute("data-no-row");
  if (noRow && typeof window.ab_alert === "function") {
    var fabAlert = window.ab_alert;
    window.ab_alert = function (text) {
      fabAlert(text === "No row selected" ? noRow : text);
    };
  }

  // ------------------------------------------------------------ date picker
  // FAB starts bootstrap-datepicker in English, and with forceParse, which re-writes the
  // field from the picker's own (empty) date when it closes: a date pasted or filled in
  // without key presses was wiped. Here: the page's language, and what was typed or pasted
  // is kept; 2021/6/1 and 2021年6月1日 become 2021-06-01.
  $.fn.datepicker.dates["zh-CN"] = {
    days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
    daysShort: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
    daysMin: ["日", "一", "二", "三", "四", "五", "六"],
    months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月",
             "十一月", "十二月"],
    monthsShort: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月",
                  "11月", "12月"],
    today: "今天",
    clear: "清除",
    format: "yyyy-mm-dd",
    titleFormat: "yyyy年mm月",
    weekStart: 1
  };

  function isoDate(text) {
    var m = /^\s*(\d{4})\s*[-\/.年]\s*(\d{1,2})\s*[-\/.月]\s*(\d{1,2})\s*日?\s*$/.exec(text);
    if (!m) {
      return text;
    }
    function two(n) { return (n.length < 2 ? "0" : "") + n; }
    return m[1] + "-" + two(m[2]) + "-" + two(m[3]);
  }

  $(".appbuilder_date, .appbuilder_datetime").each(function () {
    var picker = $(this);
    var input = picker.find("input");
    picker.datepicker("destroy").datepicker({
      format: "yyyy-mm-dd", language: language, forceParse: false, autoclose: true,
      todayHighlight: true, todayBtn: "linked", clearBtn: true
    });
    input.on("input paste change blur", function () {
      window.setTimeout(function () {  // a paste lands in the field after its event
        var value = isoDate(input.val());
        if (value !== input.val()) {
          input.val(value);
        }
        picker.datepicker("update");  // the picker follows the field, not the other way
      }, 0);
    });
  });

  // ------------------------------------------------------------ specialties
  // A form with a qualification (or a registration) and a specialty list carries the map
  // of which specialties belong to which qualification (specialty_choices.html); the list
  // offers only the chosen qualification's, and is hidden for one that has none.
  var mapElement = document.getElementById("specialty-choices");
  if (mapElement) {
    var map = JSON.parse(mapElement.textContent);
    var select = $("#specialty, #specialties").first();
    var all = select.find("option").clone();
    var master = $("#qualification, #registration").first();
    var row = select.closest("tr");
    var byRegistration = master.attr("id") === "registration";
    var apply = function () {
      var key = master.val();
      var qualification = byRegistration ? map.registration_qualification[key] : key;
      var allowed = map.qualification_specialties[qualification] || [];
      var held = (byRegistration && map.registration_specialties[key]) || [];
      if (map.mode === "held") {  // a renewal renews what is registered
        allowed = allowed.filter(function (id) { return held.indexOf(id) >= 0; });
      } else if (map.mode === "not_held") {  // a specialty is added once
        allowed = allowed.filter(function (id) { return held.indexOf(id) < 0; });
      }
      var kept = select.val();
      select.empty();
      all.each(function () {
        var value = this.value;
        if (value === "" || value === "__None" || allowed.indexOf(Number(value)) >= 0) {
          select.append($(this).clone());
        }
      });
      select.val(kept).trigger("change");
      row.toggle(allowed.length > 0 || !qualification);
    };
    master.on("change", apply);
    apply();
  }
}(jQuery));
