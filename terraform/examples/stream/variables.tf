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
  description = "The stream's name."
  type        = string
  default     = "sluice-example-raw"
}
