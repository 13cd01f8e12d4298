"""CloudFront real-time logs: the fields the configuration asks for (``fields``), one log line
read in the deployed field order (``logline``), a line kept as a media request and mapped to a
``cdn_request`` (``requests``), and the deployed order read from CloudFront (``config``)."""
