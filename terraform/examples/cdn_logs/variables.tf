variable "region" {
  description = "Region of the media bucket and the log stream."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1 or us-gov-west-1."
  }
}

variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "sluice-example"
}

variable "media_bucket_name" {
  description = "The bucket the distribution serves media from (globally unique; S3 bucket naming rules)."
  type        = string

  validation {
    # The S3 bucket naming rules (Amazon S3 User Guide, "General purpose bucket naming rules").
    condition = (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.media_bucket_name)) &&
      !strcontains(var.media_bucket_name, "..") &&
      !can(regex("^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$", var.media_bucket_name)) &&
      !can(regex("^(xn--|sthree-|amzn-s3-demo-)", var.media_bucket_name)) &&
      !can(regex("(-s3alias|--ol-s3|[.]mrap|--x-s3|--table-s3)$", var.media_bucket_name))
    )
    error_message = "media_bucket_name must follow the S3 bucket naming rules: 3 to 63 of a-z 0-9 . - , beginning and ending with a letter or digit, no \"..\", not an IP address, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)."
  }
}

variable "sampling_rate" {
  description = "Percentage of viewer requests logged (1..100)."
  type        = number
  default     = 100
}
