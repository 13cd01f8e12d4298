variable "region" {
  description = "Region of the media bucket and the log stream."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "sluice-example"
}

variable "media_bucket_name" {
  description = "The bucket the distribution serves media from (globally unique)."
  type        = string
}

variable "sampling_rate" {
  description = "Percentage of viewer requests logged (1..100)."
  type        = number
  default     = 100
}
