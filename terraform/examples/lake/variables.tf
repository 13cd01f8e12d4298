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
  description = "The lake bucket (globally unique; the lake module checks it against the S3 bucket naming rules)."
  type        = string
}

variable "force_destroy" {
  description = "Let destroy empty the bucket (a throwaway example; keep false for data you keep)."
  type        = bool
  default     = false
}
