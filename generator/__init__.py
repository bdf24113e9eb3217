"""whimsy: compiles whimsy_config.yaml into Terraform and Lambda packages."""

__version__ = "0.1.0"
