"""The platform's HTML pages: Jinja2 templates with autoescape (:mod:`backend.pages.templating`), their words from
gettext catalogues, Chinese first (:mod:`supplychain.i18n`), and the domain's vocabulary defined once
(:mod:`supplychain.vocabulary`). Page code elsewhere builds view models; this package only renders them."""
