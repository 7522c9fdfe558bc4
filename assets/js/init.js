// Replaces GOV.UK Frontend's inline body-class snippet (our CSP allows no inline script), then
// starts its components. Loaded as a classic script at the top of <body>, so the classes are in
// place before the page is first painted; the components module is fetched after parsing.
(function () {
  var supported = 'noModule' in document.createElement('script');
  document.body.className += ' js-enabled' + (supported ? ' govuk-frontend-supported' : '');
  if (!supported) return;
  document.addEventListener('DOMContentLoaded', function () {
    import('/assets/govuk-frontend.min.js')
      .then(function (govuk) {
        govuk.initAll();
      })
      .catch(function (error) {
        // Every page works without JavaScript: log and carry on.
        if (window.console) window.console.error(error);
      });
  });
})();
