// Type-ahead choice of an enterprise or an account (app/accounts/lookups.py): a select box
// holding only the chosen row becomes a Select2 box that asks the server for matches as one
// types. On a list page FAB's filter script (ab_filters.js) copies the box into the filter
// table when a filter is added; the click handler below starts the copy.
(function ($) {
  "use strict";

  function start(root) {
    $(root).find("select.registry-lookup").not(".select2-hidden-accessible").each(function () {
      var $box = $(this);
      $box.select2({
        theme: "bootstrap",
        width: "100%",
        allowClear: true,
        placeholder: $box.data("placeholder"),
        minimumInputLength: parseInt($box.data("minimum"), 10) || 2,
        ajax: {
          url: $box.data("lookup"),
          dataType: "json",
          delay: 250,
          data: function (params) { return {q: params.term}; },
          processResults: function (data) { return {results: data.results}; }
        }
      });
    });
  }

  $(function () {
    start(document);
    // After FAB's own handler has put the new filter's box in the table.
    $(document).on("click", "a.filter", function () { start("#filter_form"); });
  });
}(jQuery));
