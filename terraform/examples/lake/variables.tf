variable "region" {
  description = "Region of every resource."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1 or us-gov-west-1."
  }
}

variable "name" {
  description = "Name prefix of the delivery streams, their role and the Glue database."
  type        = string
  default     = "sluice-example"
}

variable "bucket_name" {
  description = "The lake bucket (globally unique; S3 bucket naming rules)."
  type        = string

  validation {
    # The S3 bucket naming rules (Amazon S3 User Guide, "General purpose bucket naming rules").
    condition = (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name)) &&
      !strcontains(var.bucket_name, "..") &&
      !can(regex("^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$", var.bucket_name)) &&
      !can(regex("^(xn--|sthree-|amzn-s3-demo-)", var.bucket_name)) &&
      !can(regex("(-s3alias|--ol-s3|[.]mrap|--x-s3|--table-s3)$", var.bucket_name))
    )
    error_message = "bucket_name must follow the S3 bucket naming rules: 3 to 63 of a-z 0-9 . - , beginning and ending with a letter or digit, no \"..\", not an IP address, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)."
  }
}

variable "force_destroy" {
  description = "Let destroy empty the bucket (a throwaway example; keep false for data you keep)."
  type        = bool
  default     = false
}
