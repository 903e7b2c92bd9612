// Select2's own words in Chinese: FAB loads Select2 4.0 without a language, so its
// drop-downs said "No results found" and "Remove all items". Loaded after select2.min.js
// and before FAB's ab.js starts the drop-downs (templates/appbuilder/init.html).
(function ($) {
  "use strict";
  $.fn.select2.defaults.set("language", {
    errorLoading: function () { return "无法载入结果。"; },
    inputTooLong: function (args) { return "请删除" + (args.input.length - args.maximum) + "个字"; },
    inputTooShort: function (args) { return "请再输入" + (args.minimum - args.input.length) + "个字"; },
    loadingMore: function () { return "载入更多结果…"; },
    maximumSelected: function (args) { return "最多只能选择" + args.maximum + "项"; },
    noResults: function () { return "没有找到相符的项目"; },
    searching: function () { return "搜索中…"; },
    removeAllItems: function () { return "清除全部"; },
    removeItem: function () { return "删除此项"; }
  });
}(jQuery));
