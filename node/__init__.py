"""The wuji node program: config, store, cases, catalogue, desk service, CLI and demo."""
